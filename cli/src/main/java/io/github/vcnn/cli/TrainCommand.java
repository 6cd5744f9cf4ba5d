package io.github.vcnn.cli;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.nn.Architectures;
import io.github.vcnn.nn.Model;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.train.Adam;
import io.github.vcnn.train.Dataset;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code vcnn train}: LeNet-FM on Fashion-MNIST with Adam (lr 1e-3, L2 1e-4), batch 64, softmax cross-entropy;
 * a progress bar per epoch, per-epoch loss / test accuracy / images per second, a checkpoint per epoch and a PNG
 * chart of the curves in the output folder.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains LeNet-FM on Fashion-MNIST: Conv(1->32,5x5,pad2)+ReLU, MaxPool2, Conv(32->64,5x5,pad2)+ReLU, MaxPool2, "
                + "Flatten, Linear(3136->128)+ReLU, Dropout(0.5), Linear(128->10); softmax cross-entropy, Adam, L2.",
                "Writes epoch-N.safetensors checkpoints, model.safetensors, history.csv and curves.png into --out."})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions opts;

    @Spec
    CommandSpec spec;

    @Option(names = "--epochs", defaultValue = "5", converter = Cli.Epochs.class, description = "epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--l2", defaultValue = "1e-4", converter = Cli.NonNegative.class,
            description = "L2 regularization lambda on the weights, not the biases, >= 0 (default ${DEFAULT-VALUE})")
    double l2;

    @Option(names = "--out", defaultValue = "vcnn-train", paramLabel = "DIR", converter = Cli.OutputPath.class,
            description = "output folder, created if absent (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--limit", paramLabel = "N", converter = Cli.Count.class, description = "train on the first N training images only (quick runs)")
    Integer limit;

    public TrainCommand() {
    }

    @Override
    public Integer call() throws Exception {
        // every check before any data is read (the values themselves were checked while parsing)
        Cli.outputFolder(spec, "--out", out);
        Path dir = TrainSupport.locateFashionMnist(spec, opts.data);
        if (dir == null) return TrainSupport.dataMissing(spec);
        KernelProvider kernels = opts.kernelProvider();
        TrainSupport.Data d = TrainSupport.loadFashionMnist(dir);
        Dataset train = limit == null ? d.train() : d.train().first(limit);
        Dataset test = d.test();

        opts.sizeWorkerPool();
        Sequential model = Architectures.leNetFm(10, opts.seed);
        model.kernels(kernels).threads(opts.threads);
        Adam adam = new Adam(opts.lr).weightDecay(l2);

        System.out.printf(Locale.ROOT, "Fashion-MNIST from %s: %,d training, %,d test images; kernels %s, %d thread%s, seed %d%n",
                d.dir(), train.count(), test.count(), model.kernels().name(), opts.threads, opts.threads == 1 ? "" : "s", opts.seed);
        System.out.print(model.summary());
        System.out.printf(Locale.ROOT, "Adam lr %g, L2 %g, batch %d, %d epoch%s%n", opts.lr, l2, opts.batch, epochs, epochs == 1 ? "" : "s");

        List<double[]> lossPoints = new ArrayList<>();
        double[] window = new double[2]; // running sum and count of batch losses
        List<Trainer.EpochResult> results = new ArrayList<>();
        int batches = (train.count() + opts.batch - 1) / opts.batch;
        StringBuilder csv = new StringBuilder("epoch,loss,test_accuracy,seconds,images_per_second\n");
        try (TrainSupport.Progress progress = new TrainSupport.Progress("epoch", epochs, train.count(), opts.progressMode())) {
            Trainer trainer = new Trainer(model, new SoftmaxCrossEntropy(), adam).epochs(epochs).batchSize(opts.batch).seed(opts.seed)
                    .onBatch((epoch, b, n, done, loss) -> {
                        progress.batchDone(epoch, b, n, done, loss);
                        window[0] += loss;
                        window[1]++;
                        if (b % 20 == 19 || b == n - 1) { // mean of the last 20 batches: a readable curve
                            lossPoints.add(new double[]{epoch - 1 + (b + 1.0) / batches, window[0] / window[1]});
                            window[0] = window[1] = 0;
                        }
                    })
                    .onEpoch(r -> {
                        results.add(r);
                        Path ckpt = out.resolve("epoch-" + r.epoch() + ".safetensors");
                        Model.save(model, ckpt, Map.of("vcnn.epoch", Integer.toString(r.epoch()),
                                "vcnn.test_accuracy", Double.toString(r.testAccuracy()), "vcnn.loss", Double.toString(r.loss())));
                        System.out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  test accuracy %.2f%%  %,.0f img/s  (%.1f s)  -> %s%n",
                                r.epoch(), epochs, r.loss(), 100 * r.testAccuracy(), r.imagesPerSecond(), r.seconds(), ckpt);
                        csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.3f,%.1f%n", r.epoch(), r.loss(), r.testAccuracy(), r.seconds(),
                                r.imagesPerSecond()));
                    });
            trainer.fit(train, test);
        } finally {
            model.close();
        }
        Path finalModel = out.resolve("model.safetensors");
        model.save(finalModel);
        Files.writeString(out.resolve("history.csv"), csv);
        double[] lx = new double[lossPoints.size()], ly = new double[lossPoints.size()];
        for (int i = 0; i < lx.length; i++) {
            lx[i] = lossPoints.get(i)[0];
            ly[i] = lossPoints.get(i)[1];
        }
        double[] ex = new double[results.size()], acc = new double[results.size()];
        for (int i = 0; i < ex.length; i++) {
            ex[i] = results.get(i).epoch();
            acc[i] = results.get(i).testAccuracy();
        }
        Path chart = out.resolve("curves.png");
        TrainSupport.saveChart(chart, "LeNet-FM", lx, ly, ex, acc);
        Trainer.EpochResult last = results.get(results.size() - 1);
        System.out.printf(Locale.ROOT, "final test accuracy %.2f%% after %d epoch%s; model %s, chart %s; weights fingerprint %s%n",
                100 * last.testAccuracy(), epochs, epochs == 1 ? "" : "s", finalModel, chart, TrainSupport.fingerprint(model));
        return 0;
    }
}
