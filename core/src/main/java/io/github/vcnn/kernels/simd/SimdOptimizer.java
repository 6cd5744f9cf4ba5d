package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.OptimizerChecks;
import io.github.vcnn.kernels.OptimizerKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGD and Adam/AdamW parameter updates with torch.optim's order of operations, one vector at a time;
 * the tail (under one vector) repeats the same float arithmetic in scalar code.
 */
final class SimdOptimizer implements OptimizerKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;

    @Override
    public void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        OptimizerChecks.sgd(len, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov);

        FloatVector vlr = FloatVector.broadcast(F, lr), vwd = FloatVector.broadcast(F, weightDecay);
        FloatVector vmom = FloatVector.broadcast(F, momentum), vdamp = FloatVector.broadcast(F, 1f - dampening);
        boolean useBuf = momentum != 0;
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector pv = FloatVector.fromArray(F, p, pOff + i);
            FloatVector d = FloatVector.fromArray(F, g, gOff + i);
            if (weightDecay != 0) d = pv.fma(vwd, d);
            if (useBuf) {
                FloatVector b = firstStep ? d : FloatVector.fromArray(F, buf, bufOff + i).mul(vmom).add(d.mul(vdamp));
                b.intoArray(buf, bufOff + i);
                d = nesterov ? b.fma(vmom, d) : b;
            }
            d.neg().fma(vlr, pv).intoArray(p, pOff + i);
        }
        for (; i < len; i++) {
            float pi = p[pOff + i];
            float d = g[gOff + i];
            if (weightDecay != 0) d = Math.fma(pi, weightDecay, d);
            if (useBuf) {
                float b = firstStep ? d : buf[bufOff + i] * momentum + d * (1f - dampening);
                buf[bufOff + i] = b;
                d = nesterov ? Math.fma(b, momentum, d) : b;
            }
            p[pOff + i] = Math.fma(-d, lr, pi);
        }
    }

    @Override
    public void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        OptimizerChecks.adam(len, p, pOff, g, gOff, m, mOff, v, vOff, lr, beta1, beta2, eps, weightDecay, decoupled, step);

        // torch: step_size = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps; p -= step_size * m / denom
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float invBc2Sqrt = (float) (1 / Math.sqrt(bc2));
        float decay = decoupled ? 1f - lr * weightDecay : 1f;
        float l2 = decoupled ? 0f : weightDecay;
        FloatVector vb1 = FloatVector.broadcast(F, beta1), vb1c = FloatVector.broadcast(F, 1f - beta1);
        FloatVector vb2 = FloatVector.broadcast(F, beta2), vb2c = FloatVector.broadcast(F, 1f - beta2);
        FloatVector vl2 = FloatVector.broadcast(F, l2), vdecay = FloatVector.broadcast(F, decay);
        FloatVector vInvBc2 = FloatVector.broadcast(F, invBc2Sqrt), vEps = FloatVector.broadcast(F, eps);
        FloatVector vStep = FloatVector.broadcast(F, stepSize);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector pv = FloatVector.fromArray(F, p, pOff + i);
            FloatVector gv = FloatVector.fromArray(F, g, gOff + i);
            if (l2 != 0) gv = pv.fma(vl2, gv);          // Adam: L2 through the gradient
            if (decay != 1f) pv = pv.mul(vdecay);         // AdamW: decoupled decay before the step
            FloatVector mv = FloatVector.fromArray(F, m, mOff + i).mul(vb1).add(gv.mul(vb1c));
            FloatVector vv = FloatVector.fromArray(F, v, vOff + i).mul(vb2).add(gv.mul(gv).mul(vb2c));
            mv.intoArray(m, mOff + i);
            vv.intoArray(v, vOff + i);
            FloatVector denom = vv.sqrt().mul(vInvBc2).add(vEps);
            pv.sub(mv.div(denom).mul(vStep)).intoArray(p, pOff + i);
        }
        for (; i < len; i++) {
            float pi = p[pOff + i];
            float gi = g[gOff + i];
            if (l2 != 0) gi = Math.fma(pi, l2, gi);
            if (decay != 1f) pi *= decay;
            float mi = m[mOff + i] * beta1 + gi * (1f - beta1);
            float vi = v[vOff + i] * beta2 + gi * gi * (1f - beta2);
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            float denom = (float) Math.sqrt(vi) * invBc2Sqrt + eps;
            p[pOff + i] = pi - mi / denom * stepSize;
        }
    }
}
