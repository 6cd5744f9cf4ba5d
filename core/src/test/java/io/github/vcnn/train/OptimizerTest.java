package io.github.vcnn.train;

import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.nn.Linear;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.testing.Tolerance;
import io.github.vcnn.testing.TorchCases;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optimizer classes against PyTorch's reference trajectories, plus their rules (biases, frozen layers, bad hyper-parameters). */
class OptimizerTest {

    /** Runs a reference case through the optimizer on a one-parameter model whose weight is p0. */
    private static void replay(TorchCases.Case c, Optimizer opt) {
        float[] p0 = c.f("p0");
        try (Sequential m = new Sequential(new int[]{1}, new Linear(1, p0.length, false))) {
            Parameter w = m.layer(0).parameters().get(0);
            System.arraycopy(p0, 0, w.data(), 0, p0.length);
            int steps = c.intParam("steps");
            for (int i = 1; i <= steps; i++) {
                System.arraycopy(c.f("g" + i), 0, w.grad(), 0, p0.length);
                opt.step(m);
                Tolerance.assertForward(c.name() + " step " + i + " [" + m.kernels().name() + "]", c.f("p" + i), w.data(), 0, 1e-5);
            }
        }
    }

    @Test
    void matchesPyTorchTrajectories() {
        for (TorchCases.Case c : TorchCases.all()) {
            float lr = c.floatParam("lr", 0f);
            float wd = c.floatParam("weight_decay", 0f);
            Optimizer opt = switch (c.op()) {
                case "sgd" -> new SGD(lr).momentum(c.floatParam("momentum", 0f)).nesterov(c.boolParam("nesterov", false)).weightDecay(wd);
                case "adam" -> new Adam(lr).weightDecay(wd);
                case "adamw" -> new AdamW(lr).weightDecay(c.floatParam("weight_decay", 0.01f));
                default -> null;
            };
            if (opt != null) replay(c, opt);
        }
    }

    @Test
    void biasesAreNotDecayedByDefaultAndFrozenLayersAreSkipped() {
        try (Sequential m = new Sequential(new int[]{3}, new Linear(3, 2), new Linear(2, 2)).initialize(5)) {
            for (Parameter p : m.parameters()) Arrays.fill(p.data(), 1f); // zero gradients: only decay can move them
            m.layer(1).trainable(false);
            SGD sgd = new SGD(0.1).weightDecay(0.5);
            sgd.step(m);
            assertEquals(1f - 0.1f * 0.5f, m.layer(0).parameters().get(0).data()[0], 1e-7f, "weights decay by lr*lambda*W");
            assertEquals(1f, m.layer(0).parameters().get(1).data()[0], "biases are excluded by default");
            assertEquals(1f, m.layer(1).parameters().get(0).data()[0], "frozen layers are skipped");
            sgd.decayBiases(true).step(m);
            assertTrue(m.layer(0).parameters().get(1).data()[0] < 1f, "decayBiases(true) decays biases too");
            // lambda/2 * sum W^2 over the decayed trainable parameters
            double w0 = m.layer(0).parameters().get(0).data()[0], b0 = m.layer(0).parameters().get(1).data()[0];
            assertEquals(0.5 * 0.5 * (6 * w0 * w0 + 2 * b0 * b0), sgd.l2Penalty(m), 1e-6);
        }
    }

    @Test
    void rejectsBadHyperParameters() {
        assertThrows(IllegalArgumentException.class, () -> new Adam(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new SGD(-1));
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1).learningRate(Double.POSITIVE_INFINITY));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdamW(1e-3).learningRate(Double.NaN));
        assertTrue(e.getMessage().contains("learning rate") && e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3).weightDecay(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3).betas(0.9, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1).nesterov(true), "Nesterov needs momentum");
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1).momentum(0.9).dampening(0.1).nesterov(true));
    }

    @Test
    void lossesRejectMismatchedTargets() {
        assertThrows(IllegalArgumentException.class, () -> new MSE().on(Targets.labels(new int[2]), 0));
        assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy().on(Targets.values(new float[4], 2), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dataset(new float[5 * 4], new int[4], 1, 2, 2));
        assertTrue(e.getMessage().contains("mismatched label count"), e.getMessage());
        assertArrayEquals(new int[]{1, 2, 2}, new Dataset(new float[16], new int[4], 1, 2, 2).sampleShape());
        assertTrue(Kernels.get() != null);
    }
}
