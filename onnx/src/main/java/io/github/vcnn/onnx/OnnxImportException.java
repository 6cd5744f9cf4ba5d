package io.github.vcnn.onnx;

/**
 * A well-formed ONNX model that vcnn cannot import: an unsupported operator, attribute value, opset, data type,
 * dynamic shape or external data file, or shapes that do not fit. The message names the file, the node, its operator
 * and what is unsupported; {@link #node()} and {@link #op()} give the last two (empty when the problem is not in a node).
 */
public final class OnnxImportException extends IllegalArgumentException {
    private final String node;
    private final String op;

    public OnnxImportException(String message, String node, String op) {
        super(message);
        this.node = node == null ? "" : node;
        this.op = op == null ? "" : op;
    }

    public OnnxImportException(String message, String node, String op, Throwable cause) {
        super(message, cause);
        this.node = node == null ? "" : node;
        this.op = op == null ? "" : op;
    }

    /** The node's name (or its first output when unnamed), or "" for a model-level problem. */
    public String node() {
        return node;
    }

    /** The node's operator type, or "". */
    public String op() {
        return op;
    }
}
