package io.github.vcnn.onnx;

import java.io.IOException;

/** The file is not a readable ONNX model or tensor: not protobuf, truncated, or inconsistent (e.g. fewer values than its shape needs). */
public final class OnnxFormatException extends IOException {
    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
