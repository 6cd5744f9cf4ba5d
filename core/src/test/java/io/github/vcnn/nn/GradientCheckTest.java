package io.github.vcnn.nn;

import io.github.vcnn.train.MSE;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Targets;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finite-difference gradient checks: the model's analytic gradients (float32 kernels, fused epilogues, thread
 * slices) against central differences of an independent double-precision forward pass ({@link DoubleReference}).
 * Every layer type is checked alone and in a whole small network.
 */
class GradientCheckTest {
    private static final long SEED = 20261124L;
    private static final double H = 1e-6;
    /** |analytic - numeric| <= TOL * max|numeric| of the tensor (plus a tiny absolute floor). */
    private static final double TOL = 2e-3;

    /** Runs one training step and checks the loss, every parameter gradient and the input gradient. */
    private static void check(String what, Sequential model, int batch, boolean crossEntropy, int threads) {
        SplittableRandom rnd = new SplittableRandom(SEED ^ what.hashCode());
        int inSize = model.inputSize(), outSize = model.outputSize();
        float[] x = new float[batch * inSize];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        int[] labels = new int[batch];
        float[] targets = new float[batch * outSize];
        for (int i = 0; i < batch; i++) labels[i] = rnd.nextInt(outSize);
        for (int i = 0; i < targets.length; i++) targets[i] = (float) (rnd.nextDouble() * 2 - 1);

        model.threads(threads).keepInputGradient(true);
        long step = model.trainSteps();
        Objective objective = crossEntropy ? new SoftmaxCrossEntropy().on(Targets.labels(labels), 0)
                : new MSE().on(Targets.values(targets, outSize), 0);
        double loss = model.trainStep(x, 0, batch, objective);

        DoubleReference ref = new DoubleReference(model);
        ref.step = step;
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) xd[i] = x[i];
        java.util.function.Supplier<Double> lossFn = () -> {
            double[] out = ref.forward(xd, batch);
            return crossEntropy ? DoubleReference.crossEntropy(out, labels, batch) : DoubleReference.mse(out, targets);
        };
        double refLoss = lossFn.get();
        assertEquals(refLoss, loss, 1e-4 * (1 + Math.abs(refLoss)), what + ": loss vs double reference (seed " + SEED + ")");

        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            compare(what + " " + e.getKey(), e.getValue().grad(), ref.params.get(e.getKey()), lossFn, rnd);
        }
        compare(what + " input", model.inputGradient(), xd, lossFn, rnd);
        model.close();
    }

    /** Numeric gradient of lossFn w.r.t. values (all of them, or 60 random ones for big tensors) vs the analytic one. */
    private static void compare(String what, float[] analytic, double[] values, java.util.function.Supplier<Double> lossFn, SplittableRandom rnd) {
        int n = values.length;
        int checks = Math.min(n, 60);
        int[] idx = new int[checks];
        for (int i = 0; i < checks; i++) idx[i] = n <= 60 ? i : rnd.nextInt(n);
        double[] numeric = new double[checks];
        double scale = 0;
        for (int i = 0; i < checks; i++) {
            double v = values[idx[i]];
            values[idx[i]] = v + H;
            double up = lossFn.get();
            values[idx[i]] = v - H;
            double down = lossFn.get();
            values[idx[i]] = v;
            numeric[i] = (up - down) / (2 * H);
            scale = Math.max(scale, Math.abs(numeric[i]));
        }
        assertTrue(scale > 1e-7, what + ": numeric gradient is all zero, the check would prove nothing");
        for (int i = 0; i < checks; i++) {
            double err = Math.abs(analytic[idx[i]] - numeric[i]);
            if (!(err <= TOL * scale + 1e-7)) {
                fail(what + ": element " + idx[i] + " analytic " + analytic[idx[i]] + " numeric " + numeric[i] + " (max|numeric| " + scale
                        + ", seed " + SEED + ")");
            }
        }
    }

    private static Sequential model(int[] in, Layer... layers) {
        return new Sequential(in, layers).initialize(SEED);
    }

    @Test
    void conv2d() {
        check("conv", model(new int[]{3, 6, 5}, new Conv2d(3, 4, 3, 1, 1)), 2, false, 1);
    }

    @Test
    void conv2dStrideDilationGroupsAsymmetricPadNoBias() {
        check("conv-options", model(new int[]{4, 9, 7}, new Conv2d(4, 6, 3, 2, 2, 1, 1, 0, 2, 1, 2, 1, 2, false)), 2, false, 1);
    }

    @Test
    void conv2dFusedActivations() {
        check("conv+relu", model(new int[]{2, 5, 5}, new Conv2d(2, 3, 3, 1, 1), new ReLU()), 2, false, 1);
        check("conv+leaky", model(new int[]{2, 5, 5}, new Conv2d(2, 3, 3, 1, 1), new LeakyReLU(0.1f)), 2, false, 1);
        check("conv+sigmoid", model(new int[]{2, 5, 5}, new Conv2d(2, 3, 3, 1, 1), new Sigmoid()), 2, false, 1);
    }

    @Test
    void fusionHappens() {
        Sequential m = model(new int[]{2, 5, 5}, new Conv2d(2, 3, 3, 1, 1), new ReLU(), new MaxPool2d(2), new ReLU(), new Flatten(),
                new Linear(12, 4), new Sigmoid());
        assertTrue(m.isFused(1) && !m.isFused(3) && m.isFused(6), m.summary());
    }

    @Test
    void pooling() {
        check("maxpool", model(new int[]{2, 6, 6}, new MaxPool2d(2)), 2, false, 1);
        check("maxpool-3s2p1-ceil", model(new int[]{2, 7, 6}, new MaxPool2d(3, 3, 2, 2, 1, 1, true)), 2, false, 1);
        check("avgpool-incl", model(new int[]{2, 7, 7}, new AvgPool2d(3, 2, 1)), 2, false, 1);
        check("avgpool-excl-ceil", model(new int[]{2, 6, 7}, new AvgPool2d(3, 3, 2, 2, 1, 1, true, false)), 2, false, 1);
    }

    @Test
    void standaloneActivations() {
        check("pool+relu", model(new int[]{2, 4, 4}, new MaxPool2d(2), new ReLU()), 2, false, 1);
        check("pool+leaky", model(new int[]{2, 4, 4}, new AvgPool2d(2), new LeakyReLU(0.2f)), 2, false, 1);
        check("pool+sigmoid", model(new int[]{2, 4, 4}, new AvgPool2d(2), new Sigmoid()), 2, false, 1);
    }

    @Test
    void linearFlattenDropout() {
        check("linear", model(new int[]{12}, new Linear(12, 5)), 3, true, 1);
        check("flatten+linear+sigmoid", model(new int[]{3, 2, 2}, new Flatten(), new Linear(12, 5), new Sigmoid()), 3, false, 1);
        check("linear+dropout", model(new int[]{12}, new Linear(12, 9), new Dropout(0.3), new Linear(9, 4, false)), 4, true, 1);
    }

    private static Sequential smallNet() {
        return model(new int[]{1, 10, 10},
                new Conv2d(1, 4, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(4, 6, 3), new ReLU(), new Flatten(),
                new Linear(54, 16), new ReLU(), new Dropout(0.25), new Linear(16, 5));
    }

    @Test
    void wholeNetwork() {
        check("net", smallNet(), 5, true, 1);
    }

    @Test
    void wholeNetworkOnThreeThreads() {
        check("net-3threads", smallNet(), 7, true, 3);
    }
}
