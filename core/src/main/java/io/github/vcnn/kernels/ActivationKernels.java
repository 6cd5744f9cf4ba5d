package io.github.vcnn.kernels;

/** Elementwise activations (ReLU, LeakyReLU, Sigmoid, clip) on flat runs of floats. Stateless and thread-safe. */
public interface ActivationKernels {

    /** {@code y[i] = act(x[i])} for {@code len} values; {@code y} may be {@code x} at the same offset (in place). */
    void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len);

    /** In place: {@code x[i] = act(x[i])}. */
    default void fwdInPlace(Epilogue act, float[] x, int xOff, int len) {
        fwd(act, x, xOff, x, xOff, len);
    }

    /**
     * Backward from the forward <em>output</em>: {@code dx[i] = dy[i] * act'(z_i)} where {@code y = act(z)};
     * {@code dx} may be {@code dy} at the same offset.
     */
    void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len);
}
