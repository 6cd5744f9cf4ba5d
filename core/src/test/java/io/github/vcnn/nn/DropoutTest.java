package io.github.vcnn.nn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inverted dropout: statistics, evaluation identity, reproducibility, and its equivalence with the spec's test-time (1-p)W. */
class DropoutTest {
    private static final long SEED = 4242;

    @Test
    void meanOfOutputIsTheInputAndAboutPAreDropped() {
        for (double p : new double[]{0.1, 0.5, 0.8}) {
            int n = 200_000;
            Sequential m = new Sequential(new int[]{n}, new Dropout(p)).initialize(SEED).train();
            float[] x = new float[n];
            SplittableRandom r = new SplittableRandom(SEED);
            for (int i = 0; i < n; i++) x[i] = (float) (1 + r.nextDouble());
            float[] y = m.forward(x, 1, n);
            double meanX = 0, meanY = 0;
            int zeros = 0;
            for (int i = 0; i < n; i++) {
                meanX += x[i];
                meanY += y[i];
                if (y[i] == 0f) zeros++;
                else assertEquals(x[i] / (1 - p), y[i], 1e-5 * y[i], "kept values are scaled by 1/(1-p)");
            }
            meanX /= n;
            meanY /= n;
            double sigma = Math.sqrt(p / (1 - p) * 2.4 / n); // E[x^2] <= 2.4 here: 5 sigma bounds below
            assertEquals(meanX, meanY, 5 * sigma, "p=" + p + " seed " + SEED);
            double drop = (double) zeros / n;
            assertEquals(p, drop, 5 * Math.sqrt(p * (1 - p) / n), "dropped fraction, p=" + p);
        }
    }

    @Test
    void evalIsIdentityAndMasksAreReproducible() {
        Sequential m = new Sequential(new int[]{1000}, new Dropout(0.5)).initialize(SEED);
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) x[i] = i - 500.5f;
        assertArrayEquals(x, m.eval().forward(x, 1, 1000));
        float[] a = m.train().forward(x, 1, 1000);
        float[] b = new Sequential(new int[]{1000}, new Dropout(0.5)).initialize(SEED).train().forward(x, 1, 1000);
        assertArrayEquals(a, b, "same seed, same mask");
        float[] c = new Sequential(new int[]{1000}, new Dropout(0.5)).initialize(SEED + 1).train().forward(x, 1, 1000);
        assertTrue(!java.util.Arrays.equals(a, c), "another seed, another mask");
    }

    /**
     * The spec's dropout (unscaled Bernoulli(1-p) mask in training, weights (1-p)W at test time) and inverted dropout
     * agree in expectation: over many masks, the classic network's mean training output equals its (1-p)W test output,
     * and the inverted network's mean training output equals its plain evaluation output, which is the same function.
     */
    @Test
    void equivalentToTestTimeWeightScalingInExpectation() {
        double p = 0.4;
        int in = 16, out = 3, copies = 20_000;
        Linear linear = new Linear(in, out);
        Sequential inverted = new Sequential(new int[]{in}, new Dropout(p), linear).initialize(SEED);
        SplittableRandom r = new SplittableRandom(SEED);
        float[] x = new float[in];
        for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
        float[] evalOut = inverted.eval().forward(x, 1, in);

        // Many masks at once: a batch of identical samples, each with its own mask.
        float[] batch = new float[copies * in];
        for (int c = 0; c < copies; c++) System.arraycopy(x, 0, batch, c * in, in);
        float[] trainOut = inverted.train().forward(batch, copies, in);
        Sequential maskOnly = new Sequential(new int[]{in}, new Dropout(p)).initialize(SEED).train();
        float[] masked = maskOnly.forward(batch, copies, in); // the same masks (same seed, layer index 0, step 0)

        float[] w = linear.weight().data(), b = linear.bias().data();
        // Classic weights W_c = W/(1-p): the network that classic dropout would have trained to the same function.
        double[] classicTrainMean = new double[out], invertedMean = new double[out];
        for (int c = 0; c < copies; c++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    double keep = masked[c * in + i] == 0f ? 0 : 1; // the unscaled Bernoulli(1-p) mask r
                    s += (w[o * in + i] / (1 - p)) * keep * x[i];
                }
                classicTrainMean[o] += s / copies;
                invertedMean[o] += trainOut[c * out + o] / (double) copies;
            }
        }
        for (int o = 0; o < out; o++) {
            double classicTest = b[o];
            for (int i = 0; i < in; i++) classicTest += (1 - p) * (w[o * in + i] / (1 - p)) * x[i]; // W_test = (1-p) W_c
            double spread = 0;
            for (int i = 0; i < in; i++) spread += Math.pow(w[o * in + i] * x[i], 2);
            double tol = 5 * Math.sqrt(p / (1 - p) * spread / copies) + 1e-5;
            assertEquals(classicTest, evalOut[o], 1e-4 * (1 + Math.abs(classicTest)), "test-time (1-p)W equals the inverted model's eval output");
            assertEquals(evalOut[o], invertedMean[o], tol, "E[inverted training output] = eval output (seed " + SEED + ")");
            assertEquals(classicTest, classicTrainMean[o], tol, "E[classic training output] = (1-p)W test output (seed " + SEED + ")");
        }
    }
}
