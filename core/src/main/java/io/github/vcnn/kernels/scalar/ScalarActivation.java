package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.ActivationChecks;
import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Epilogue;

/** Reference activations: {@link Epilogue#apply} and {@link Epilogue#backward} element by element. */
public final class ScalarActivation implements ActivationKernels {

    ScalarActivation() {
    }

    @Override
    public void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
        ActivationChecks.fwd(act, x, xOff, y, yOff, len);
        for (int i = 0; i < len; i++) y[yOff + i] = act.apply(x[xOff + i]);
    }

    @Override
    public void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        ActivationChecks.bwd(act, y, yOff, dy, dyOff, dx, dxOff, len);
        // dx = dy * act'(z), written through y = act(z)
        for (int i = 0; i < len; i++) dx[dxOff + i] = act.backward(y[yOff + i], dy[dyOff + i]);
    }
}
