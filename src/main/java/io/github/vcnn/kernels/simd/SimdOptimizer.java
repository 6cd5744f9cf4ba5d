package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.OptimizerKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGD and Adam/AdamW parameter updates with torch.optim's order of operations, one vector at a time
 * (the tail uses the same vector code under a mask, so every element sees identical arithmetic).
 */
final class SimdOptimizer implements OptimizerKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;

    @Override
    public void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        Checks.length("len", len);
        Checks.finiteNonNegative("lr", lr);
        Checks.finiteNonNegative("momentum", momentum);
        Checks.finite("dampening", dampening);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening == 0, got momentum="
                    + momentum + " dampening=" + dampening);
        }
        String shape = "sgd over " + len + " parameters";
        Checks.array("p", p, pOff, len, shape);
        Checks.array("g", g, gOff, len, shape);
        if (momentum != 0) Checks.array("buf", buf, bufOff, len, shape);

        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            sgdVector(F.maskAll(true), i, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        }
        if (i < len) {
            sgdVector(F.indexInRange(i, len), i, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        }
    }

    private static void sgdVector(VectorMask<Float> m, int i, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                                  float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        FloatVector pv = FloatVector.fromArray(F, p, pOff + i, m);
        FloatVector d = FloatVector.fromArray(F, g, gOff + i, m);
        if (weightDecay != 0) d = d.add(pv.mul(weightDecay));
        if (momentum != 0) {
            FloatVector b = firstStep ? d
                    : FloatVector.fromArray(F, buf, bufOff + i, m).mul(momentum).add(d.mul(1f - dampening));
            b.intoArray(buf, bufOff + i, m);
            d = nesterov ? d.add(b.mul(momentum)) : b;
        }
        pv.sub(d.mul(lr)).intoArray(p, pOff + i, m);
    }

    @Override
    public void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        Checks.length("len", len);
        Checks.finiteNonNegative("lr", lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        Checks.finiteNonNegative("eps", eps);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        if (step < 1) throw new IllegalArgumentException("step counts from 1, got " + step);
        String shape = (decoupled ? "adamw" : "adam") + " over " + len + " parameters";
        Checks.array("p", p, pOff, len, shape);
        Checks.array("g", g, gOff, len, shape);
        Checks.array("m", m, mOff, len, shape);
        Checks.array("v", v, vOff, len, shape);

        // torch: step_size = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps; p -= step_size * m / denom
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float invBc2Sqrt = (float) (1 / Math.sqrt(bc2));
        float decay = decoupled ? 1f - lr * weightDecay : 1f;
        float l2 = decoupled ? 0f : weightDecay;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            adamVector(F.maskAll(true), i, p, pOff, g, gOff, m, mOff, v, vOff, beta1, beta2, eps, stepSize, invBc2Sqrt, decay, l2);
        }
        if (i < len) {
            adamVector(F.indexInRange(i, len), i, p, pOff, g, gOff, m, mOff, v, vOff, beta1, beta2, eps, stepSize, invBc2Sqrt, decay, l2);
        }
    }

    private static void adamVector(VectorMask<Float> mask, int i, float[] p, int pOff, float[] g, int gOff,
                                   float[] m, int mOff, float[] v, int vOff, float beta1, float beta2, float eps,
                                   float stepSize, float invBc2Sqrt, float decay, float l2) {
        FloatVector pv = FloatVector.fromArray(F, p, pOff + i, mask);
        FloatVector gv = FloatVector.fromArray(F, g, gOff + i, mask);
        if (l2 != 0) gv = gv.add(pv.mul(l2));           // Adam: L2 through the gradient
        if (decay != 1f) pv = pv.mul(decay);            // AdamW: decoupled decay before the step
        FloatVector mv = FloatVector.fromArray(F, m, mOff + i, mask).mul(beta1).add(gv.mul(1f - beta1));
        FloatVector vv = FloatVector.fromArray(F, v, vOff + i, mask).mul(beta2).add(gv.mul(gv).mul(1f - beta2));
        mv.intoArray(m, mOff + i, mask);
        vv.intoArray(v, vOff + i, mask);
        FloatVector denom = vv.sqrt().mul(invBc2Sqrt).add(eps);
        pv.sub(mv.div(denom).mul(stepSize)).intoArray(p, pOff + i, mask);
    }
}
