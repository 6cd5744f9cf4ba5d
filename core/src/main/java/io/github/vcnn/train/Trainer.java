package io.github.vcnn.train;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.nn.Sequential;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The classification training loop: epochs of shuffled mini-batches (seeded, reproducible), forward + loss +
 * backward + optimizer step per batch, then the test accuracy; callbacks after every batch and every epoch.
 */
public final class Trainer {
    private final Sequential model;
    private final Loss loss;
    private final Optimizer optimizer;
    private int epochs = 1;
    private int batchSize = 64;
    private long seed = 42;
    private BatchListener batchListener = (epoch, batch, batches, images, lossValue) -> { };
    private EpochListener epochListener = r -> { };

    /** Called after each training batch. */
    @FunctionalInterface
    public interface BatchListener {
        void batchDone(int epoch, int batch, int batches, int images, double loss);
    }

    /** Called after each epoch (e.g. to save a checkpoint). */
    @FunctionalInterface
    public interface EpochListener {
        void epochDone(EpochResult result) throws IOException;
    }

    /**
     * @param loss            mean training loss over the epoch (without the L2 penalty)
     * @param testAccuracy    fraction of test samples classified right, NaN without test data
     * @param seconds         training time of the epoch (evaluation excluded)
     * @param imagesPerSecond training images per second
     */
    public record EpochResult(int epoch, double loss, double testAccuracy, double seconds, double imagesPerSecond) {
    }

    public Trainer(Sequential model, Loss loss, Optimizer optimizer) {
        this.model = Checks.notNull("model", model);
        this.loss = Checks.notNull("loss", loss);
        this.optimizer = Checks.notNull("optimizer", optimizer);
    }

    public Trainer epochs(int epochs) {
        Checks.positive("epochs", epochs, "Trainer");
        this.epochs = epochs;
        return this;
    }

    public Trainer batchSize(int batchSize) {
        Checks.positive("batch size", batchSize, "Trainer");
        this.batchSize = batchSize;
        return this;
    }

    /** Seed of the shuffling (the model's own seed decides initialisation and dropout). */
    public Trainer seed(long seed) {
        this.seed = seed;
        return this;
    }

    public Trainer onBatch(BatchListener listener) {
        this.batchListener = Checks.notNull("listener", listener);
        return this;
    }

    public Trainer onEpoch(EpochListener listener) {
        this.epochListener = Checks.notNull("listener", listener);
        return this;
    }

    /** Trains on {@code train} and evaluates on {@code test} (may be null) after each epoch. */
    public List<EpochResult> fit(Dataset train, Dataset test) throws IOException {
        check(train, "training");
        if (test != null) check(test, "test");
        int n = train.count();
        int size = train.sampleSize();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        float[] xb = new float[Math.min(batchSize, n) * size];
        int[] yb = new int[Math.min(batchSize, n)];
        io.github.vcnn.nn.Objective objective = loss.on(Targets.labels(yb), 0); // yb is refilled per batch
        SplittableRandom random = new SplittableRandom(seed);
        int batches = (n + batchSize - 1) / batchSize;
        List<EpochResult> results = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            shuffle(order, random);
            model.train();
            double lossSum = 0;
            long start = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize;
                int rows = Math.min(batchSize, n - from);
                for (int r = 0; r < rows; r++) {
                    int i = order[from + r];
                    System.arraycopy(train.images(), i * size, xb, r * size, size);
                    yb[r] = train.labels()[i];
                }
                double l = model.trainStep(xb, 0, rows, objective);
                if (!Double.isFinite(l)) throw new IllegalStateException("loss became " + l + " at epoch " + epoch + " batch " + b + ": lower the learning rate");
                optimizer.step(model);
                lossSum += l * rows;
                batchListener.batchDone(epoch, b, batches, from + rows, l);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double acc = test == null ? Double.NaN : accuracy(model, test, Math.max(batchSize, 256));
            model.train();
            EpochResult r = new EpochResult(epoch, lossSum / n, acc, seconds, n / seconds);
            results.add(r);
            epochListener.epochDone(r);
        }
        return results;
    }

    private void check(Dataset d, String what) {
        Checks.notNull(what + " data", d);
        if (d.count() == 0) throw new IllegalArgumentException(what + " data is empty");
        if (!Arrays.equals(d.sampleShape(), model.inputShape())) {
            throw new IllegalArgumentException(what + " samples have shape " + Arrays.toString(d.sampleShape()) + " but the model takes "
                    + Arrays.toString(model.inputShape()));
        }
        int classes = model.outputSize();
        for (int i = 0; i < d.count(); i++) {
            int l = d.labels()[i];
            if (l < 0 || l >= classes) throw new IllegalArgumentException(what + " label " + l + " of sample " + i + " outside the model's " + classes + " classes");
        }
    }

    private static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Fraction of {@code data} whose arg-max output is the label, in evaluation mode (the model is left in eval mode). */
    public static double accuracy(Sequential model, Dataset data, int batchSize) {
        Checks.notNull("model", model);
        Checks.notNull("data", data);
        Checks.positive("batch size", batchSize, "accuracy");
        if (!Arrays.equals(data.sampleShape(), model.inputShape())) {
            throw new IllegalArgumentException("samples have shape " + Arrays.toString(data.sampleShape()) + " but the model takes "
                    + Arrays.toString(model.inputShape()));
        }
        model.eval();
        int classes = model.outputSize();
        int n = data.count();
        float[] out = new float[Math.min(batchSize, n) * classes];
        int correct = 0;
        for (int from = 0; from < n; from += batchSize) {
            int rows = Math.min(batchSize, n - from);
            model.forward(data.images(), from * data.sampleSize(), rows, out, 0);
            for (int r = 0; r < rows; r++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (out[r * classes + c] > out[r * classes + best]) best = c;
                if (best == data.labels()[from + r]) correct++;
            }
        }
        return (double) correct / n;
    }
}
