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

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vcnn finetune}: transfer learning on Fashion-MNIST. Pre-trains LeNet-FM on classes 0-4, then freezes its two
 * convolutional blocks and trains a freshly initialised head on classes 5-9 from only 1,000 labelled images; compares
 * test accuracy (classes 5-9) and time per epoch with the same network trained from scratch on the same images.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Transfer learning demo: pre-train LeNet-FM on Fashion-MNIST classes 0-4, freeze both conv layers, train a new head "
                + "on classes 5-9 from 1,000 labelled images, and compare with training from scratch on the same images."})
public final class FinetuneCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions opts;

    @Spec
    CommandSpec spec;

    @Option(names = "--pretrain-epochs", defaultValue = "2", converter = Cli.Epochs.class,
            description = "epochs of pre-training on classes 0-4 (default ${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(names = "--epochs", defaultValue = "15", converter = Cli.Epochs.class,
            description = "epochs on the 1,000 labelled images, for both models (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--labelled", defaultValue = "1000", converter = Cli.Count.class, description = "labelled images of classes 5-9 (default ${DEFAULT-VALUE})")
    int labelled;

    @Option(names = "--out", defaultValue = "vcnn-finetune", paramLabel = "DIR", converter = Cli.OutputPath.class,
            description = "output folder, created if absent (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--limit", paramLabel = "N", converter = Cli.Count.class, description = "pre-train on the first N images of classes 0-4 only (quick runs)")
    Integer limit;

    public FinetuneCommand() {
    }

    private record Outcome(double accuracy, double secondsPerEpoch, long trainable) {
    }

    @Override
    public Integer call() throws Exception {
        // every check before any data is read (the values themselves were checked while parsing)
        Cli.outputFolder(spec, "--out", out);
        Path dir = TrainSupport.locateFashionMnist(spec, opts.data);
        if (dir == null) return TrainSupport.dataMissing(spec);
        TrainSupport.Data d = TrainSupport.loadFashionMnist(dir);
        opts.sizeWorkerPool();
        KernelProvider k = opts.kernelProvider();
        Dataset source = d.train().classes(0, 5);
        if (limit != null) source = source.first(limit);
        Dataset target = d.train().classes(5, 10).first(labelled);
        Dataset targetTest = d.test().classes(5, 10);
        System.out.printf(Locale.ROOT, "pre-training on classes 0-4: %,d images; target task classes 5-9: %,d labelled images, %,d test images; kernels %s%n",
                source.count(), target.count(), targetTest.count(), k.name());

        // 1. Pre-train on classes 0-4.
        Path pretrained = out.resolve("pretrained-0-4.safetensors");
        try (Sequential base = Architectures.leNetFm(5, opts.seed)) {
            base.kernels(k).threads(opts.threads);
            Outcome pre = fit("pre-train", base, source, d.test().classes(0, 5), pretrainEpochs);
            base.save(pretrained);
            System.out.printf(Locale.ROOT, "pre-trained: test accuracy on classes 0-4 %.2f%% -> %s%n", 100 * pre.accuracy(), pretrained);
        }

        // 2. Frozen features: load the two conv blocks, freeze them, train a new head.
        Outcome frozen;
        try (Sequential m = Architectures.leNetFm(5, opts.seed + 1)) {
            Model.loadFirstLayers(m, pretrained, Architectures.LENET_FM_FEATURE_LAYERS);
            m.freezeFirst(Architectures.LENET_FM_FEATURE_LAYERS).kernels(k).threads(opts.threads);
            System.out.print(m.summary());
            frozen = fit("frozen conv + new head", m, target, targetTest, epochs);
            m.save(out.resolve("finetuned-5-9.safetensors"));
        }

        // 3. The same network from scratch on the same 1,000 images.
        Outcome scratch;
        try (Sequential m = Architectures.leNetFm(5, opts.seed + 1)) {
            m.kernels(k).threads(opts.threads);
            scratch = fit("from scratch", m, target, targetTest, epochs);
        }

        System.out.printf(Locale.ROOT, "%nclasses 5-9, %,d labelled images, %d epochs:%n", target.count(), epochs);
        System.out.printf(Locale.ROOT, "  %-28s %14s %16s %18s%n", "model", "test accuracy", "time per epoch", "trainable params");
        System.out.printf(Locale.ROOT, "  %-28s %13.2f%% %15.3fs %,18d%n", "frozen conv + new head", 100 * frozen.accuracy(), frozen.secondsPerEpoch(), frozen.trainable());
        System.out.printf(Locale.ROOT, "  %-28s %13.2f%% %15.3fs %,18d%n", "from scratch", 100 * scratch.accuracy(), scratch.secondsPerEpoch(), scratch.trainable());
        System.out.printf(Locale.ROOT, "frozen features: %+.2f points of accuracy, %.2fx faster per epoch%n",
                100 * (frozen.accuracy() - scratch.accuracy()), scratch.secondsPerEpoch() / frozen.secondsPerEpoch());
        return 0;
    }

    private Outcome fit(String label, Sequential model, Dataset train, Dataset test, int n) throws java.io.IOException {
        Adam adam = new Adam(opts.lr).weightDecay(1e-4);
        List<Trainer.EpochResult> results;
        try (TrainSupport.Progress progress = new TrainSupport.Progress(label, n, train.count(), opts.progressMode())) {
            results = new Trainer(model, new SoftmaxCrossEntropy(), adam).epochs(n).batchSize(opts.batch).seed(opts.seed)
                    .onBatch(progress)
                    .onEpoch(r -> System.out.printf(Locale.ROOT, "  %s epoch %d/%d  loss %.4f  test accuracy %.2f%%  %,.0f img/s%n",
                            label, r.epoch(), n, r.loss(), 100 * r.testAccuracy(), r.imagesPerSecond()))
                    .fit(train, test);
        }
        // The first epoch includes JIT warm-up and buffer allocation: time the later ones when there are any.
        double seconds = 0;
        int counted = 0;
        for (Trainer.EpochResult r : results) {
            if (results.size() > 1 && r.epoch() == 1) continue;
            seconds += r.seconds();
            counted++;
        }
        return new Outcome(results.get(results.size() - 1).testAccuracy(), seconds / counted, model.trainableParameterCount());
    }
}
