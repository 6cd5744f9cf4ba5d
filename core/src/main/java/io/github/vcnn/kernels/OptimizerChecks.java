package io.github.vcnn.kernels;

/**
 * The argument checks of {@link OptimizerKernels}, shared by every variant (same messages, argument named
 * first, nothing written before they pass). A passing call allocates nothing.
 */
public final class OptimizerChecks {
    private OptimizerChecks() {
    }

    public static void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                           float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        Checks.length("len", len);
        Checks.span("p", p, pOff, len, "sgd");
        Checks.span("g", g, gOff, len, "sgd");
        Checks.finiteNonNegative("lr", lr);
        Checks.finiteNonNegative("momentum", momentum);
        Checks.finite("dampening", dampening);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        if (momentum != 0f) Checks.span("buf (momentum buffer)", buf, bufOff, len, "sgd");
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw new IllegalArgumentException("nesterov: Nesterov momentum needs momentum > 0 and dampening == 0, got momentum=" + momentum
                    + " dampening=" + dampening);
        }
    }

    /** {@code decoupled}: AdamW (only names the operation in messages here). */
    public static void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                            float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        String op = decoupled ? "adamw" : "adam";
        Checks.length("len", len);
        Checks.span("p", p, pOff, len, op);
        Checks.span("g", g, gOff, len, op);
        Checks.span("m (first moment)", m, mOff, len, op);
        Checks.span("v (second moment)", v, vOff, len, op);
        Checks.finiteNonNegative("lr", lr);
        beta("beta1", beta1);
        beta("beta2", beta2);
        Checks.finiteNonNegative("eps", eps);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        if (step < 1) throw new IllegalArgumentException("step must be >= 1 (steps count from 1), got " + step + ": " + op);
    }

    private static void beta(String name, float beta) {
        if (!(beta >= 0f && beta < 1f)) throw new IllegalArgumentException(name + " must be in [0, 1), got " + beta);
    }
}
