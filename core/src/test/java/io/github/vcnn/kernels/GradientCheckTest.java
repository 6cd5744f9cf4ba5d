package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finite-difference checks of the scalar reference's backward kernels: every input, weight and bias value is
 * perturbed by +-h, the objective {@code sum(y * dy)} (or the loss) is summed in double precision, and the
 * central difference is compared with the analytical gradient. The scalar kernels accumulate in double, so the
 * only float rounding is that of the outputs themselves; h = 2^-7 keeps it far below the tolerance.
 * Where an epilogue has a kink (ReLU, LeakyReLU, clip) and a perturbation moves an output across it, the
 * one-sided difference on the side without a crossing is used (the objective is linear there); a coordinate with
 * crossings on both sides is skipped, and at most a fifth may be.
 */
class GradientCheckTest {

    private static final KernelProvider K = Kernels.scalar();
    private static final float H = 1f / 128;
    private static final double TOL = 1e-3;

    /** One evaluation: the objective and a signature of which piece of a piecewise-linear epilogue each output is on. */
    private record Sample(double loss, long pieces) {
    }

    @FunctionalInterface
    private interface Objective {
        Sample eval();
    }

    /**
     * Perturbs each {@code param[off + i]} and compares the central difference of the objective with {@code analytic[i]}:
     * {@code |numeric - analytic| <= TOL * max(max|analytic|, 1e-2)}.
     */
    private static void check(String what, float[] param, int off, int len, float[] analytic, Objective objective) {
        double scale = 1e-2;
        for (int i = 0; i < len; i++) scale = Math.max(scale, Math.abs(analytic[i]));
        int skipped = 0;
        for (int i = 0; i < len; i++) {
            float v = param[off + i];
            float plus = v + H, minus = v - H;
            Sample center = objective.eval();
            param[off + i] = plus;
            Sample up = objective.eval();
            param[off + i] = minus;
            Sample down = objective.eval();
            param[off + i] = v;
            double numeric;
            if (up.pieces() == down.pieces()) {
                numeric = (up.loss() - down.loss()) / ((double) plus - minus);
            } else if (up.pieces() == center.pieces()) { // a kink below v: the function is linear on [v, v+h]
                numeric = (up.loss() - center.loss()) / ((double) plus - v);
            } else if (down.pieces() == center.pieces()) {
                numeric = (center.loss() - down.loss()) / ((double) v - minus);
            } else {
                skipped++;
                continue;
            }
            double err = Math.abs(numeric - analytic[i]);
            if (!(err <= TOL * scale)) {
                fail(what + "[" + i + "]: finite difference " + numeric + ", analytical " + analytic[i]
                        + " (|err| " + err + " > " + TOL + " * " + scale + ")");
            }
        }
        assertTrue(skipped <= len / 5, what + ": " + skipped + " of " + len + " coordinates crossed a kink");
    }

    /** Which piece of the epilogue an output y lies on (0 for smooth functions). */
    private static int piece(Epilogue act, float y) {
        return switch (act.kind()) {
            case NONE, SIGMOID -> 0;
            case RELU, LEAKY_RELU -> y > 0 ? 1 : 0;
            case CLIP -> y <= act.min() ? 0 : (y >= act.max() ? 2 : 1);
        };
    }

    /** sum(y * dy) in double, and the pieces the outputs lie on. */
    private static Sample objective(float[] y, float[] dy, Epilogue act) {
        double loss = 0;
        long pieces = 1;
        for (int i = 0; i < y.length; i++) {
            loss += (double) y[i] * dy[i];
            pieces = pieces * 31 + piece(act, y[i]);
        }
        return new Sample(loss, pieces);
    }

    private static float[] random(Random rnd, int len, float scale) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    // ---------------------------------------------------------------- convolution

    private static void convCase(long seed, ConvParams p, Epilogue act, boolean hasBias) {
        Random rnd = new Random(seed);
        float[] x = random(rnd, p.inputSize(), 1f);
        float[] w = random(rnd, p.weightSize(), (float) (1.5 / Math.sqrt(p.cg() * p.r() * p.s())));
        float[] b = hasBias ? random(rnd, p.k(), 0.5f) : null;
        float[] dy = random(rnd, p.outputSize(), 1f);
        float[] y = new float[p.outputSize()];
        Objective f = () -> {
            K.conv().fwd(p, x, 0, w, 0, b, 0, act, y, 0);
            return objective(y, dy, act);
        };
        f.eval();
        float[] dz = new float[y.length];
        K.activation().bwd(act, y, 0, dy, 0, dz, 0, y.length);
        float[] dx = new float[p.inputSize()], dw = new float[p.weightSize()], db = new float[p.k()];
        K.conv().bwdData(p, dz, 0, w, 0, dx, 0);
        K.conv().bwdWeights(p, x, 0, dz, 0, dw, 0, hasBias ? db : null, 0);
        String what = p + " act " + act;
        check(what + " dx", x, 0, x.length, dx, f);
        check(what + " dw", w, 0, w.length, dw, f);
        if (hasBias) check(what + " db", b, 0, b.length, db, f);
    }

    @Test
    void convPlainWithBias() {
        convCase(1, ConvParams.of(2, 3, 7, 6, 4, 3, 3, 1, 1), Epilogue.NONE, true);
    }

    @Test
    void convStridedAsymmetricPaddingSigmoid() {
        convCase(2, new ConvParams(2, 3, 8, 7, 5, 3, 2, 2, 2, 1, 0, 2, 1, 1, 1, 1), Epilogue.SIGMOID, true);
    }

    @Test
    void convDilatedRelu() {
        convCase(3, new ConvParams(1, 3, 9, 9, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1), Epilogue.RELU, false);
    }

    @Test
    void convGroupedLeakyRelu() {
        convCase(4, new ConvParams(2, 4, 6, 7, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2), Epilogue.leakyRelu(0.1f), true);
    }

    @Test
    void convDepthwiseStridedClip() {
        convCase(5, new ConvParams(1, 5, 9, 8, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5), Epilogue.clip(-0.3f, 0.4f), true);
    }

    @Test
    void conv1x1Stride3DilatedStride() {
        convCase(6, new ConvParams(2, 4, 7, 8, 3, 1, 1, 3, 3, 0, 0, 0, 0, 1, 1, 1), Epilogue.NONE, true);
        convCase(7, new ConvParams(1, 2, 11, 10, 3, 2, 3, 2, 3, 1, 2, 0, 1, 2, 2, 1), Epilogue.SIGMOID, true);
    }

    // ---------------------------------------------------------------- pooling

    /** Distinct values 0.1 apart, shuffled: no ties, and +-h never changes a window's maximum. */
    private static float[] distinct(Random rnd, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (i - len / 2) * 0.1f;
        for (int i = len - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    private static void poolCase(long seed, PoolParams p) {
        Random rnd = new Random(seed);
        float[] x = distinct(rnd, p.inputSize());
        float[] dy = random(rnd, p.outputSize(), 1f);
        float[] y = new float[p.outputSize()];
        int[] argmax = new int[p.outputSize()];

        Objective max = () -> {
            K.pool().maxFwd(p, x, 0, y, 0, argmax, 0);
            return objective(y, dy, Epilogue.NONE);
        };
        max.eval();
        float[] dx = new float[p.inputSize()];
        K.pool().maxBwd(p, dy, 0, argmax, 0, dx, 0);
        check(p + " max dx", x, 0, x.length, dx, max);

        Objective avg = () -> {
            K.pool().avgFwd(p, x, 0, y, 0);
            return objective(y, dy, Epilogue.NONE);
        };
        K.pool().avgBwd(p, dy, 0, dx, 0);
        check(p + " avg dx", x, 0, x.length, dx, avg);
    }

    @Test
    void pools() {
        poolCase(11, PoolParams.of(2, 3, 8, 9, 2, 2, 0));
        poolCase(12, new PoolParams(1, 2, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, false, true));
        poolCase(13, new PoolParams(1, 2, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, false, false));
        poolCase(14, new PoolParams(1, 3, 7, 9, 2, 3, 2, 2, 0, 1, 1, 2, true, true));
        poolCase(15, new PoolParams(1, 3, 7, 9, 3, 2, 2, 3, 2, 0, 1, 1, true, false));
        poolCase(16, new PoolParams(2, 2, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, false, false));
    }

    @Test
    void globalAveragePool() {
        Random rnd = new Random(17);
        int n = 2, c = 3, hw = 10;
        float[] x = random(rnd, n * c * hw, 1f), dy = random(rnd, n * c, 1f), y = new float[n * c];
        Objective f = () -> {
            K.pool().globalAvgFwd(n, c, hw, x, 0, y, 0);
            return objective(y, dy, Epilogue.NONE);
        };
        float[] dx = new float[x.length];
        K.pool().globalAvgBwd(n, c, hw, dy, 0, dx, 0);
        check("global avg pool dx", x, 0, x.length, dx, f);
    }

    // ---------------------------------------------------------------- activations

    @Test
    void activations() {
        Random rnd = new Random(21);
        for (Epilogue act : new Epilogue[]{Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.2f), Epilogue.SIGMOID, Epilogue.clip(-0.5f, 0.7f)}) {
            float[] x = random(rnd, 200, 3f);
            float[] dy = random(rnd, x.length, 1f), y = new float[x.length];
            Objective f = () -> {
                K.activation().fwd(act, x, 0, y, 0, x.length);
                return objective(y, dy, act);
            };
            f.eval();
            float[] dx = new float[x.length];
            K.activation().bwd(act, y, 0, dy, 0, dx, 0, x.length);
            check("activation " + act + " dx", x, 0, x.length, dx, f);
        }
    }

    // ---------------------------------------------------------------- dense

    @Test
    void dense() {
        Random rnd = new Random(31);
        for (Epilogue act : new Epilogue[]{Epilogue.NONE, Epilogue.RELU, Epilogue.SIGMOID}) {
            DenseParams p = new DenseParams(3, 13, 7);
            float[] x = random(rnd, p.batch() * p.in(), 1f), w = random(rnd, p.out() * p.in(), 0.4f), b = random(rnd, p.out(), 0.5f);
            float[] dy = random(rnd, p.batch() * p.out(), 1f), y = new float[dy.length];
            Objective f = () -> {
                K.dense().fwd(p, x, 0, w, 0, b, 0, act, y, 0);
                return objective(y, dy, act);
            };
            f.eval();
            float[] dz = new float[y.length];
            K.activation().bwd(act, y, 0, dy, 0, dz, 0, y.length);
            float[] dx = new float[x.length], dw = new float[w.length], db = new float[b.length];
            K.dense().bwdData(p, dz, 0, w, 0, dx, 0);
            K.dense().bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0);
            check(p + " " + act + " dx", x, 0, x.length, dx, f);
            check(p + " " + act + " dw", w, 0, w.length, dw, f);
            check(p + " " + act + " db", b, 0, b.length, db, f);
        }
    }

    // ---------------------------------------------------------------- losses

    @Test
    void crossEntropy() {
        Random rnd = new Random(41);
        for (float scale : new float[]{1f, 8f}) {
            int rows = 5, cols = 7;
            float[] logits = random(rnd, rows * cols, scale);
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) labels[r] = rnd.nextInt(cols);
            Objective f = () -> new Sample(K.softmax().crossEntropy(rows, cols, logits, 0, labels, 0, null, 0, null, 0), 0);
            float[] dlogits = new float[logits.length];
            K.softmax().crossEntropy(rows, cols, logits, 0, labels, 0, null, 0, dlogits, 0);
            check("cross-entropy (logit scale " + scale + ") dlogits", logits, 0, logits.length, dlogits, f);
        }
    }

    @Test
    void meanSquaredError() {
        Random rnd = new Random(51);
        float[] pred = random(rnd, 30, 2f), target = random(rnd, 30, 2f);
        Objective f = () -> new Sample(K.softmax().mse(pred.length, pred, 0, target, 0, null, 0), 0);
        float[] dpred = new float[pred.length];
        K.softmax().mse(pred.length, pred, 0, target, 0, dpred, 0);
        check("mse dpred", pred, 0, pred.length, dpred, f);
    }
}
