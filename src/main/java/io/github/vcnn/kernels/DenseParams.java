package io.github.vcnn.kernels;

/**
 * A fully connected layer {@code y[batch][out] = act(x[batch][in] * W^T + b)} with
 * {@code W[out][in]} (PyTorch's Linear / ONNX Gemm with transB=1) and {@code b[out]}.
 */
public record DenseParams(int batch, int in, int out) {
    public DenseParams {
        String shape = "dense[x " + batch + "x" + in + ", W " + out + "x" + in + "]";
        Checks.positive("batch", batch, shape);
        Checks.positive("in", in, shape);
        Checks.positive("out", out, shape);
        if ((long) batch * in > Integer.MAX_VALUE - 64 || (long) out * in > Integer.MAX_VALUE - 64
                || (long) batch * out > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("tensor too large for a Java array: " + shape);
        }
    }

    public long flops() {
        return 2L * batch * in * out;
    }

    @Override
    public String toString() {
        return "dense[x " + batch + "x" + in + ", W " + out + "x" + in + "]";
    }
}
