package io.github.vcnn.kernels;

/**
 * The argument checks of {@link ActivationKernels}, shared by every variant (same messages, argument named
 * first, nothing written before they pass). A passing call allocates nothing.
 */
public final class ActivationChecks {
    private ActivationChecks() {
    }

    public static void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
        Checks.notNull("act (epilogue)", act);
        Checks.length("len", len);
        Checks.span("x", x, xOff, len, "activation");
        Checks.span("y", y, yOff, len, "activation");
    }

    public static void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        Checks.notNull("act (epilogue)", act);
        Checks.length("len", len);
        Checks.span("y", y, yOff, len, "activation backward");
        Checks.span("dy", dy, dyOff, len, "activation backward");
        Checks.span("dx", dx, dxOff, len, "activation backward");
    }
}
