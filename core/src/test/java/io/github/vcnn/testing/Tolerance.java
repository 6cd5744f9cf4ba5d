package io.github.vcnn.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** The tolerances of ../shared/reference/README.md, as assertions that name the worst element. */
public final class Tolerance {
    private Tolerance() {
    }

    /** Forward outputs: |err| <= tol * (1 + |ref|) elementwise (README: tol = 1e-4). Returns the max abs error. */
    public static double assertForward(String what, float[] expected, float[] actual, int actualOff, double tol) {
        double maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[actualOff + i];
            double err = Math.abs(a - e);
            if (!(err <= tol * (1 + Math.abs(e)))) {
                fail(what + ": element " + i + " expected " + e + " got " + a + " (|err| " + err + " > " + tol + "*(1+|ref|))");
            }
            maxErr = Math.max(maxErr, err);
        }
        return maxErr;
    }

    public static double assertForward(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != expected " + expected.length);
        return assertForward(what, expected, actual, 0, 1e-4);
    }

    /** Gradients: |err| <= tol * max|ref| of the tensor (README: tol = 1e-3). Returns the max abs error. */
    public static double assertGradient(String what, float[] expected, float[] actual, int actualOff, double tol) {
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        double bound = tol * Math.max(scale, 1e-6);
        double maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[actualOff + i] - expected[i]);
            if (!(err <= bound)) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[actualOff + i]
                        + " (|err| " + err + " > " + tol + " * max|ref| " + scale + ")");
            }
            maxErr = Math.max(maxErr, err);
        }
        return maxErr;
    }

    public static double assertGradient(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != expected " + expected.length);
        return assertGradient(what, expected, actual, 0, 1e-3);
    }

    /** Cross-check of a fast kernel against the scalar one: |a-b| <= tol * (1 + |b|). */
    public static void assertClose(String what, float[] reference, float[] actual, double tol) {
        if (reference.length != actual.length) fail(what + ": length " + actual.length + " != " + reference.length);
        for (int i = 0; i < reference.length; i++) {
            double err = Math.abs((double) actual[i] - reference[i]);
            if (!(err <= tol * (1 + Math.abs(reference[i])))) {
                fail(what + ": element " + i + " reference " + reference[i] + " got " + actual[i] + " (|err| " + err + ")");
            }
        }
    }
}
