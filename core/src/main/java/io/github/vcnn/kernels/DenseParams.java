package io.github.vcnn.kernels;

/**
 * A fully connected layer {@code y[batch][out] = act(x[batch][in] * W^T + b)} with
 * {@code W[out][in]} (PyTorch's Linear / ONNX Gemm with transB=1) and {@code b[out]}.
 *
 * <p>Sizes: the constructor computes the input, weight and output sizes in {@code long} and rejects what would not fit a
 * Java array, so {@link #inputSize()}, {@link #weightSize()} and {@link #outputSize()} are exact.
 *
 * <p>Aliasing (checked by {@link DenseChecks} the same way for every variant): the kernels do not work in place. The
 * output of {@code fwd} ({@code y}) must not overlap {@code x} or {@code bias} (or the unpacked {@code w});
 * {@code bwdData}'s {@code dx} must not overlap {@code dz} or {@code w}; {@code bwdWeights}' {@code dw} and {@code db}
 * must not overlap {@code x}, {@code dz} or each other; {@code sgemm}'s {@code c} must not overlap {@code a} or
 * {@code b} (their extents {@code [off, off + (rows-1)*ld + cols)}). An overlap is an {@link IllegalArgumentException}
 * before anything is written. Inputs may alias each other freely.
 */
public record DenseParams(int batch, int in, int out) {
    public DenseParams {
        String shape = "dense[x " + batch + "x" + in + ", W " + out + "x" + in + "]";
        Checks.positive("batch", batch, shape);
        Checks.positive("in", in, shape);
        Checks.positive("out", out, shape);
        Checks.arrayLength("input [batch][in]", (long) batch * in, shape);
        Checks.arrayLength("weights [out][in]", (long) out * in, shape);
        Checks.arrayLength("output [batch][out]", (long) batch * out, shape);
    }

    /** {@code batch*in}; the constructor checked it fits an array. */
    public int inputSize() {
        return batch * in;
    }

    /** {@code out*in}; the constructor checked it fits an array. */
    public int weightSize() {
        return out * in;
    }

    /** {@code batch*out}; the constructor checked it fits an array. */
    public int outputSize() {
        return batch * out;
    }

    public long flops() {
        return 2L * batch * in * out;
    }

    @Override
    public String toString() {
        return "dense[x " + batch + "x" + in + ", W " + out + "x" + in + "]";
    }
}
