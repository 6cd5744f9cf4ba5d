package io.github.vcnn.graph;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The static shapes of every value of a graph at one batch size ({@link ShapeInference#infer}), and which values
 * carry the batch in dimension 0.
 */
public final class Shapes {
    private final int batch;
    private final Map<String, int[]> dims;
    private final Set<String> batched;
    private final String batchBreak;

    Shapes(int batch, Map<String, int[]> dims, Set<String> batched, String batchBreak) {
        this.batch = batch;
        this.dims = dims;
        this.batched = batched;
        this.batchBreak = batchBreak;
    }

    /** The batch size these shapes were inferred for. */
    public int batch() {
        return batch;
    }

    /** The shape of {@code value}; IllegalArgumentException if the graph has no such value. */
    public int[] shape(String value) {
        int[] d = dims.get(value);
        if (d == null) throw new IllegalArgumentException("no value '" + value + "' in the graph");
        return d.clone();
    }

    int[] raw(String value) {
        return dims.get(value);
    }

    public boolean has(String value) {
        return dims.containsKey(value);
    }

    /** Number of elements of {@code value}. */
    public int size(String value) {
        return (int) Tensor.elements(raw(value));
    }

    /** True when dimension 0 of {@code value} is the batch. */
    public boolean batched(String value) {
        return batched.contains(value);
    }

    /** Null when every operator keeps samples apart (any batch size works), else the first node that mixes them and why. */
    public String batchBreak() {
        return batchBreak;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("shapes at batch " + batch + ":");
        dims.forEach((k, v) -> b.append(' ').append(k).append(Arrays.toString(v)));
        return b.toString();
    }
}
