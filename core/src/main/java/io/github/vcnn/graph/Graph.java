package io.github.vcnn.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A computation graph in vcnn's IR: typed inputs with static shapes, constants, nodes in topological order (every
 * value defined once, before its uses) and named outputs. Immutable; the constructor validates the wiring.
 *
 * <p>Dimension 0 of every input of rank &ge; 1 is the <em>batch</em>: when every operator keeps the samples of a
 * batch apart ({@link ShapeInference#infer}), a compiled model runs any batch size, else only the declared one.
 */
public final class Graph {

    /**
     * A graph input: a float32 tensor (INT64 inputs exist only until {@link #bind bound} to constants).
     *
     * @param shape         the declared shape; dimension 0 is 1 when {@code symbolicBatch}
     * @param symbolicBatch dimension 0 was symbolic in the source model (e.g. "batch_size")
     * @param type          FLOAT for data; INT64 inputs must be bound before shape inference
     */
    public record Input(String name, int[] shape, boolean symbolicBatch, Tensor.Type type) {
        public Input {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("graph input without a name");
            shape = shape.clone();
            for (int d : shape) {
                if (d <= 0) throw new IllegalArgumentException("graph input '" + name + "' has dimension " + d + " in " + Arrays.toString(shape));
            }
        }

        public Input(String name, int[] shape) {
            this(name, shape, false, Tensor.Type.FLOAT);
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + (symbolicBatch ? " (batch symbolic)" : "") + (type == Tensor.Type.FLOAT ? "" : " " + type);
        }
    }

    private final List<Input> inputs;
    private final List<Node> nodes;
    private final Map<String, Tensor> constants;
    private final List<String> outputs;

    public Graph(List<Input> inputs, List<Node> nodes, Map<String, Tensor> constants, List<String> outputs) {
        this.inputs = List.copyOf(inputs);
        this.nodes = List.copyOf(nodes);
        this.constants = Collections.unmodifiableMap(new LinkedHashMap<>(constants));
        this.outputs = List.copyOf(outputs);
        validate();
    }

    private void validate() {
        Set<String> defined = new HashSet<>();
        for (Input in : inputs) {
            if (!defined.add(in.name())) throw new IllegalArgumentException("graph input '" + in.name() + "' is defined twice");
        }
        for (String c : constants.keySet()) {
            if (!defined.add(c)) throw new IllegalArgumentException("value '" + c + "' is both a graph input and a constant");
        }
        for (Node n : nodes) {
            for (String i : n.inputs()) {
                if (!i.isEmpty() && !defined.contains(i)) {
                    throw new IllegalArgumentException(n.describe() + ": input '" + i + "' is not defined before the node"
                            + " (not a graph input, constant or earlier node output)");
                }
            }
            for (String o : n.outputs()) {
                if (o.isEmpty()) continue;
                if (!defined.add(o)) throw new IllegalArgumentException(n.describe() + ": output '" + o + "' is already defined");
            }
        }
        if (outputs.isEmpty()) throw new IllegalArgumentException("the graph has no outputs");
        Set<String> seen = new HashSet<>();
        for (String o : outputs) {
            if (!defined.contains(o)) throw new IllegalArgumentException("graph output '" + o + "' is not computed by any node");
            if (!seen.add(o)) throw new IllegalArgumentException("graph output '" + o + "' is listed twice");
        }
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** Constants by value name (unmodifiable). */
    public Map<String, Tensor> constants() {
        return constants;
    }

    public List<String> outputs() {
        return outputs;
    }

    public Input input(String name) {
        for (Input i : inputs) if (i.name().equals(name)) return i;
        return null;
    }

    public boolean isConstant(String value) {
        return constants.containsKey(value);
    }

    public Tensor constant(String value) {
        return constants.get(value);
    }

    /**
     * The same graph with input {@code name} replaced by the constant {@code value} (its shape must match the
     * declared one): how an integer input that feeds a shape, such as Reshape's, becomes static.
     */
    public Graph bind(String name, Tensor value) {
        Input in = input(name);
        if (in == null) throw new IllegalArgumentException("the graph has no input '" + name + "' (inputs: " + inputs + ")");
        if (!Arrays.equals(in.shape(), value.shape()) && !(in.symbolicBatch())) {
            throw new IllegalArgumentException("input '" + name + "' is declared " + Arrays.toString(in.shape()) + ", the bound value is "
                    + Arrays.toString(value.shape()));
        }
        List<Input> rest = new ArrayList<>(inputs);
        rest.remove(in);
        Map<String, Tensor> c = new LinkedHashMap<>(constants);
        c.put(name, value);
        return new Graph(rest, nodes, c, outputs);
    }

    /** The batch the inputs were declared with: dimension 0 of the first input of rank &ge; 1 (1 when symbolic or none). */
    public int declaredBatch() {
        for (Input in : inputs) {
            if (in.shape().length > 0) return in.symbolicBatch() ? 1 : in.shape()[0];
        }
        return 1;
    }

    /** For each value, the nodes (indices) reading it. */
    Map<String, List<Integer>> consumers() {
        Map<String, List<Integer>> m = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).inputs()) {
                if (!in.isEmpty()) m.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        return m;
    }

    /** Index of the node computing {@code value}, or -1 (input or constant). */
    int producer(String value) {
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).outputs().contains(value)) return i;
        return -1;
    }

    /** One line per node: {@code outputs = Op(inputs)}. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append("inputs ").append(inputs).append('\n');
        long params = 0;
        for (Tensor t : constants.values()) params += t.size();
        b.append("constants ").append(constants.size()).append(" (").append(String.format("%,d", params)).append(" values)\n");
        for (Node n : nodes) b.append("  ").append(n.outputs()).append(" = ").append(n.op()).append(n.inputs()).append('\n');
        b.append("outputs ").append(outputs).append('\n');
        return b.toString();
    }

    @Override
    public String toString() {
        return summary();
    }
}
