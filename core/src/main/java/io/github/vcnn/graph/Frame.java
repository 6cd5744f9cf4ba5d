package io.github.vcnn.graph;

/**
 * Where a running plan finds its values: the arena of the caller's lease, the caller's input arrays, the
 * constants. One frame per arena, re-bound on every call (field writes only, no allocation).
 */
final class Frame {
    static final byte ARENA = 0, INPUT = 1, CONST = 2;

    private byte[] kind;
    private int[] index;
    private int[] offset;
    private float[][] consts;
    float[] arena;
    final float[][] inputs;
    final int[] inputOffsets;
    /** Intra-op threads the conv, dense and pooling steps may use (the shared pool's size caps it). */
    final int threads;
    /** This frame's reusable hand-off of a dense or pooling step split over the intra-op threads. */
    final Steps.Split split = new Steps.Split();

    Frame(int inputCount, int threads) {
        this.inputs = new float[inputCount][];
        this.inputOffsets = new int[inputCount];
        this.threads = threads;
    }

    void bind(Plan p, float[] arena) {
        this.kind = p.kind;
        this.index = p.index;
        this.offset = p.offset;
        this.consts = p.consts;
        this.arena = arena;
    }

    /** The array holding value {@code v}. */
    float[] a(int v) {
        return switch (kind[v]) {
            case ARENA -> arena;
            case INPUT -> inputs[index[v]];
            default -> consts[index[v]];
        };
    }

    /** The offset of value {@code v} in {@link #a(int)}. */
    int o(int v) {
        return kind[v] == INPUT ? inputOffsets[index[v]] + offset[v] : offset[v];
    }

    void clearInputs() {
        java.util.Arrays.fill(inputs, null);
    }
}
