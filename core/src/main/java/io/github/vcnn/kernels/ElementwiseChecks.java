package io.github.vcnn.kernels;

/**
 * The argument checks of {@link ElementwiseKernels}, shared by every variant (same messages, argument named
 * first, nothing written before they pass). A passing call allocates nothing.
 */
public final class ElementwiseChecks {
    private ElementwiseChecks() {
    }

    /** add and mul: y = a op b over len values; {@code op} names the operation in the message. */
    public static void binary(String op, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        Checks.length("len", len);
        Checks.span("a", a, aOff, len, op);
        Checks.span("b", b, bOff, len, op);
        Checks.span("y", y, yOff, len, op);
    }

    /** axpy and scale: y from alpha and x over len values. */
    public static void scaled(String op, int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        Checks.length("len", len);
        Checks.finite("alpha", alpha);
        Checks.span("x", x, xOff, len, op);
        Checks.span("y", y, yOff, len, op);
    }

    public static void sumOfSquares(int len, float[] x, int xOff) {
        Checks.length("len", len);
        Checks.span("x", x, xOff, len, "sum of squares");
    }
}
