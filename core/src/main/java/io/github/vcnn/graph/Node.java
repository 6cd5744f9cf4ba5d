package io.github.vcnn.graph;

import java.util.List;

/**
 * One operator application: {@code outputs = op(inputs)}, values named as in the graph. An omitted optional input
 * is the empty string.
 *
 * @param name the node's name in the source model (may be empty)
 */
public record Node(String name, Op op, List<String> inputs, List<String> outputs) {
    public Node {
        if (name == null) name = "";
        if (op == null) throw new IllegalArgumentException("node '" + name + "' has no op");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        if (outputs.isEmpty()) throw new IllegalArgumentException("node '" + name + "' (" + op.type() + ") has no output");
    }

    /** {@code input(i)} or "" when absent. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output() {
        return outputs.get(0);
    }

    /** "node 'name' (Op)" or "node #k (Op)" without a name: the prefix of every message about this node. */
    public String describe() {
        return "node '" + (name.isEmpty() ? output() : name) + "' (" + op.type() + ")";
    }

    Node withInputs(List<String> in) {
        return new Node(name, op, in, outputs);
    }

    Node withOp(Op newOp) {
        return new Node(name, newOp, inputs, outputs);
    }

    Node withOutputs(List<String> out) {
        return new Node(name, op, inputs, out);
    }
}
