package io.github.vcnn.kernels;

import io.github.vcnn.testing.Tolerance;
import io.github.vcnn.testing.TorchCases;
import io.github.vcnn.testing.TorchCases.Case;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every PyTorch reference case (src/test/resources/torch-kernels) through every kernel variant available in this JVM,
 * forward and backward, at the tolerances of the reference README. A case whose op no code here handles fails.
 */
class TorchReferenceTest {

    private static final double FORWARD_TOL = 1e-4;
    private static final double GRADIENT_TOL = 1e-3;

    @Test
    void theReferenceDataIsComplete() {
        List<Case> cases = TorchCases.all();
        assertTrue(cases.size() >= 30, "expected the 30 torch-kernels cases, found " + cases.size());
        for (String op : List.of("conv2d", "max_pool2d", "avg_pool2d", "linear", "relu", "leaky_relu", "sigmoid",
                "softmax_cross_entropy", "mse", "sgd", "adam", "adamw")) {
            assertTrue(cases.stream().anyMatch(c -> c.op().equals(op)), "no reference case for op " + op);
        }
        assertEquals("scalar", Kernels.available().getFirst().name(), "the reference variant must come first");
    }

    @TestFactory
    Stream<DynamicTest> everyCaseOnEveryVariant() {
        List<Case> cases = TorchCases.all();
        return Kernels.available().stream().flatMap(k -> cases.stream()
                .map(c -> DynamicTest.dynamicTest(k.name() + " " + c.name() + " (" + c.op() + ")", () -> run(k, c))));
    }

    static void run(KernelProvider k, Case c) {
        switch (c.op()) {
            case "conv2d" -> conv(k, c);
            case "max_pool2d" -> pool(k, c, true);
            case "avg_pool2d" -> pool(k, c, false);
            case "linear" -> linear(k, c);
            case "relu", "leaky_relu", "sigmoid" -> activation(k, c);
            case "softmax_cross_entropy" -> crossEntropy(k, c);
            case "mse" -> mse(k, c);
            case "sgd", "adam", "adamw" -> optimizer(k, c);
            default -> fail("case " + c.name() + ": op '" + c.op() + "' is not handled by any kernel");
        }
    }

    static Epilogue epilogue(Case c, String activation) {
        return switch (activation) {
            case "none" -> Epilogue.NONE;
            case "relu" -> Epilogue.RELU;
            case "leaky_relu" -> Epilogue.leakyRelu(c.floatParam("alpha", 0.01f));
            case "sigmoid" -> Epilogue.SIGMOID;
            default -> throw new AssertionError("case " + c.name() + ": unknown activation " + activation);
        };
    }

    private static String what(KernelProvider k, Case c, String tensor) {
        return k.name() + " " + c.name() + " " + tensor;
    }

    private static void forward(KernelProvider k, Case c, String tensor, float[] actual) {
        forward(k, c, tensor, tensor, actual);
    }

    /** Compares {@code actual} (described as {@code what}) with the reference tensor {@code tensor}. */
    private static void forward(KernelProvider k, Case c, String tensor, String what, float[] actual) {
        float[] expected = c.f(tensor);
        assertEquals(expected.length, actual.length, what(k, c, what) + " length");
        Tolerance.assertForward(what(k, c, what), expected, actual, 0, FORWARD_TOL);
    }

    private static void gradient(KernelProvider k, Case c, String tensor, float[] actual) {
        float[] expected = c.f(tensor);
        assertEquals(expected.length, actual.length, what(k, c, tensor) + " length");
        Tolerance.assertGradient(what(k, c, tensor), expected, actual, 0, GRADIENT_TOL);
    }

    private static void conv(KernelProvider k, Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        int ph = c.intParam("pad_h"), pw = c.intParam("pad_w");
        ConvParams p = new ConvParams(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                c.intParam("stride_h"), c.intParam("stride_w"), ph, pw, ph, pw,
                c.intParam("dilation_h"), c.intParam("dilation_w"), c.intParam("groups"));
        assertEquals(ws[1], p.cg(), c.name() + ": weight shape vs groups");
        boolean hasBias = c.boolParam("bias", true);
        assertEquals(hasBias, c.has("b"), c.name() + ": bias flag vs tensors");
        float[] bias = hasBias ? c.f("b") : null;
        Epilogue act = epilogue(c, c.param("activation"));

        float[] y = new float[p.outputSize()];
        k.conv().fwd(p, c.f("x"), 0, k.conv().pack(p, c.f("w"), 0), bias, 0, act, y, 0);
        forward(k, c, "y", y);

        // the reference gradients are of sum(y * dy) through the activation: dz = act'(z) * dy first
        float[] dz = new float[y.length];
        k.activation().bwd(act, y, 0, c.f("dy"), 0, dz, 0, y.length);
        float[] dx = new float[p.inputSize()];
        k.conv().bwdData(p, dz, 0, c.f("w"), 0, dx, 0);
        gradient(k, c, "dx", dx);
        float[] dw = new float[p.weightSize()];
        float[] db = hasBias ? new float[p.k()] : null;
        k.conv().bwdWeights(p, c.f("x"), 0, dz, 0, dw, 0, db, 0);
        gradient(k, c, "dw", dw);
        if (hasBias) gradient(k, c, "db", db);
    }

    private static void pool(KernelProvider k, Case c, boolean max) {
        int[] xs = c.shape("x");
        int ph = c.intParam("pad_h"), pw = c.intParam("pad_w");
        PoolParams p = new PoolParams(xs[0], xs[1], xs[2], xs[3], c.intParam("kernel_h"), c.intParam("kernel_w"),
                c.intParam("stride_h"), c.intParam("stride_w"), ph, pw, ph, pw,
                c.boolParam("ceil_mode", false), c.boolParam("count_include_pad", false));
        assertEquals(c.f("y").length, p.outputSize(), c.name() + ": output size (ceil_mode " + p.ceilMode() + ")");
        float[] y = new float[p.outputSize()];
        float[] dx = new float[p.inputSize()];
        if (max) {
            int[] argmax = new int[y.length];
            k.pool().maxFwd(p, c.f("x"), 0, y, 0, argmax, 0);
            forward(k, c, "y", y);
            k.pool().maxBwd(p, c.f("dy"), 0, argmax, 0, dx, 0);
        } else {
            k.pool().avgFwd(p, c.f("x"), 0, y, 0);
            forward(k, c, "y", y);
            k.pool().avgBwd(p, c.f("dy"), 0, dx, 0);
        }
        gradient(k, c, "dx", dx);
    }

    private static void linear(KernelProvider k, Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        assertEquals(xs[1], ws[1], c.name() + ": in features");
        DenseParams p = new DenseParams(xs[0], xs[1], ws[0]);
        float[] bias = c.has("b") ? c.f("b") : null;
        Epilogue act = epilogue(c, c.param("activation"));
        float[] y = new float[p.batch() * p.out()];
        k.dense().fwd(p, c.f("x"), 0, c.f("w"), 0, bias, 0, act, y, 0);
        forward(k, c, "y", y);

        float[] dz = new float[y.length];
        k.activation().bwd(act, y, 0, c.f("dy"), 0, dz, 0, y.length);
        float[] dx = new float[p.batch() * p.in()];
        k.dense().bwdData(p, dz, 0, c.f("w"), 0, dx, 0);
        gradient(k, c, "dx", dx);
        float[] dw = new float[p.out() * p.in()];
        float[] db = bias == null ? null : new float[p.out()];
        k.dense().bwdWeights(p, c.f("x"), 0, dz, 0, dw, 0, db, 0);
        gradient(k, c, "dw", dw);
        if (db != null) gradient(k, c, "db", db);
    }

    private static void activation(KernelProvider k, Case c) {
        Epilogue act = epilogue(c, c.op());
        float[] x = c.f("x");
        float[] y = new float[x.length];
        k.activation().fwd(act, x, 0, y, 0, x.length);
        forward(k, c, "y", y);
        float[] inPlace = x.clone();
        k.activation().fwdInPlace(act, inPlace, 0, inPlace.length);
        forward(k, c, "y", "y (in place)", inPlace);
        float[] dx = new float[x.length];
        k.activation().bwd(act, y, 0, c.f("dy"), 0, dx, 0, x.length);
        gradient(k, c, "dx", dx);
    }

    private static void crossEntropy(KernelProvider k, Case c) {
        int[] s = c.shape("logits");
        long[] labels64 = c.tensors().longs("labels");
        int[] labels = new int[labels64.length];
        for (int i = 0; i < labels.length; i++) labels[i] = Math.toIntExact(labels64[i]);
        float[] probs = new float[s[0] * s[1]];
        float[] dlogits = new float[s[0] * s[1]];
        float loss = k.softmax().crossEntropy(s[0], s[1], c.f("logits"), 0, labels, 0, probs, 0, dlogits, 0);
        forward(k, c, "loss", new float[]{loss});
        forward(k, c, "probs", probs);
        gradient(k, c, "dlogits", dlogits);
        // without the optional outputs the loss is the same
        float lossOnly = k.softmax().crossEntropy(s[0], s[1], c.f("logits"), 0, labels, 0, null, 0, null, 0);
        forward(k, c, "loss", "loss (no probs, no dlogits)", new float[]{lossOnly});
        // softmax on its own agrees with the fused probabilities
        float[] softmax = new float[probs.length];
        k.softmax().softmax(s[0], s[1], c.f("logits"), 0, softmax, 0);
        forward(k, c, "probs", "softmax", softmax);
    }

    private static void mse(KernelProvider k, Case c) {
        float[] pred = c.f("pred");
        float[] dpred = new float[pred.length];
        float loss = k.softmax().mse(pred.length, pred, 0, c.f("target"), 0, dpred, 0);
        forward(k, c, "loss", new float[]{loss});
        gradient(k, c, "dpred", dpred);
    }

    /** Replays p0 -> p1 -> ... with g1, g2, ...; unlisted hyper-parameters take PyTorch's defaults (README). */
    private static void optimizer(KernelProvider k, Case c) {
        int steps = c.intParam("steps");
        float lr = Float.parseFloat(c.param("lr"));
        float[] p = c.f("p0").clone();
        int n = p.length;
        float[] buf = new float[n], m = new float[n], v = new float[n];
        for (int step = 1; step <= steps; step++) {
            float[] g = c.f("g" + step);
            switch (c.op()) {
                case "sgd" -> k.optimizer().sgd(n, p, 0, g, 0, buf, 0, lr, c.floatParam("momentum", 0f), c.floatParam("dampening", 0f),
                        c.floatParam("weight_decay", 0f), c.boolParam("nesterov", false), step == 1);
                case "adam" -> k.optimizer().adam(n, p, 0, g, 0, m, 0, v, 0, lr, c.floatParam("beta1", 0.9f), c.floatParam("beta2", 0.999f),
                        c.floatParam("eps", 1e-8f), c.floatParam("weight_decay", 0f), false, step);
                case "adamw" -> k.optimizer().adam(n, p, 0, g, 0, m, 0, v, 0, lr, c.floatParam("beta1", 0.9f), c.floatParam("beta2", 0.999f),
                        c.floatParam("eps", 1e-8f), c.floatParam("weight_decay", 0.01f), true, step);
                default -> throw new AssertionError(c.op());
            }
            forward(k, c, "p" + step, p);
        }
    }
}
