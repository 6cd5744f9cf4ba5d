package io.github.vcnn.cli;

import io.github.vcnn.io.FashionMnist;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.train.Dataset;
import io.github.vcnn.train.Trainer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** What the train and finetune commands share: finding and loading the data, progress output, the chart, the weight fingerprint. */
final class TrainSupport {
    private TrainSupport() {
    }

    record Data(Dataset train, Dataset test, Path dir) {
    }

    /**
     * The Fashion-MNIST folder, checked before anything is loaded: {@code --data DIR} must hold the four files (else a
     * usage error naming --data); without it the default locations are searched and null means none has them.
     */
    static Path locateFashionMnist(CommandSpec spec, Path dataDir) {
        try {
            return FashionMnist.locate(dataDir);
        } catch (NoSuchFileException e) {
            if (dataDir != null) throw Cli.usage(spec, "--data", dataDir, e.getReason());
            return null;
        } catch (IOException e) {
            if (dataDir != null) throw Cli.usage(spec, "--data", dataDir, Cli.describe(e));
            return null;
        }
    }

    /**
     * What a command returns when the data is absent from the default locations: {@link Cli#DATA_MISSING} when the
     * launcher offered to install it (it installs and runs the command again), else one line saying how to get it and
     * {@link Cli#FAILED}.
     */
    static int dataMissing(CommandSpec spec) {
        if (System.getenv(Cli.INSTALL_PROTOCOL_ENV) != null) return Cli.DATA_MISSING;
        spec.commandLine().getErr().println(spec.qualifiedName() + ": Fashion-MNIST not found in " + FashionMnist.defaultLocations()
                + "; install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or put the four IDX files of "
                + "https://github.com/zalandoresearch/fashion-mnist in ~/.cache/vcnn/fashion-mnist or any folder and pass --data DIR");
        spec.commandLine().getErr().flush();
        return Cli.FAILED;
    }

    /** Reads the data of a located folder (a corrupt file is an IOException naming it). */
    static Data loadFashionMnist(Path dir) throws IOException {
        FashionMnist.Split train = FashionMnist.train(dir);
        FashionMnist.Split test = FashionMnist.test(dir);
        return new Data(new Dataset(train.images(), train.labels(), 1, 28, 28), new Dataset(test.images(), test.labels(), 1, 28, 28), dir);
    }

    /**
     * Whether stderr is a terminal: on Linux what file descriptor 2 points to ({@code /dev/pts/N}, {@code /dev/ttyN}),
     * elsewhere {@link java.io.Console#isTerminal()}; never with {@code TERM=dumb}.
     */
    static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) return false;
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2, LinkOption.NOFOLLOW_LINKS)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | RuntimeException e) {
            // fall back to the console
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /**
     * Per-batch hook showing training progress on {@link System#err} (as it is when the hook is made, so a host that
     * redirected stderr gets it): a live bar (me.tongfei.progressbar, as wide as the terminal) only when stderr is a
     * terminal or {@code --progress bar}; otherwise one plain line at most every {@code intervalMillis} and at the end of
     * each epoch, with the images done, the running loss and images per second.
     */
    static final class Progress implements Trainer.BatchListener, AutoCloseable {
        static final long LINE_INTERVAL_MILLIS = 10_000;

        private final String label;
        private final int epochs;
        private final long images;
        private final boolean live, lines;
        private final long intervalNanos;
        private final PrintStream err;
        private ProgressBar bar;
        private int lastImages;
        private double runningLoss = Double.NaN;
        private long epochStart, lastLine;

        Progress(String label, int epochs, long images, TrainingOptions.ProgressMode mode) {
            this(label, epochs, images, mode, LINE_INTERVAL_MILLIS);
        }

        Progress(String label, int epochs, long images, TrainingOptions.ProgressMode mode, long intervalMillis) {
            this.label = label;
            this.epochs = epochs;
            this.images = images;
            this.live = mode == TrainingOptions.ProgressMode.BAR || (mode == TrainingOptions.ProgressMode.AUTO && stderrIsTerminal());
            this.lines = !live && mode != TrainingOptions.ProgressMode.NONE;
            this.intervalNanos = intervalMillis * 1_000_000L;
            this.err = System.err;
        }

        /** True when this shows a live bar. */
        boolean live() {
            return live;
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, int done, double loss) {
            runningLoss = Double.isNaN(runningLoss) || batch == 0 ? loss : 0.98 * runningLoss + 0.02 * loss;
            long now = System.nanoTime();
            if (batch == 0) {
                epochStart = now;
                lastLine = now;
            }
            if (live) {
                if (batch == 0) {
                    close();
                    bar = new ProgressBarBuilder().setTaskName(label + " " + epoch + "/" + epochs).setInitialMax(images).setUnit(" img", 1)
                            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed()
                            .setConsumer(new ConsoleProgressBarConsumer(err)).build();
                    lastImages = 0;
                }
                bar.stepBy(done - lastImages);
                lastImages = done;
                bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", runningLoss));
                if (batch == batches - 1) close();
            } else if (lines && (batch == batches - 1 || now - lastLine >= intervalNanos)) {
                lastLine = now;
                double seconds = Math.max(1e-9, (now - epochStart) / 1e9);
                err.printf(Locale.ROOT, "%s %d/%d: %,d/%,d images  loss %.4f  %,.0f img/s%n", label, epoch, epochs, done, images,
                        runningLoss, done / seconds);
                err.flush();
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    /** Saves the loss and accuracy curves side by side as one PNG (XChart). */
    static void saveChart(Path png, String title, double[] lossX, double[] lossY, double[] epochs, double[] accuracy) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart loss = new XYChartBuilder().width(640).height(420).title(title + ": training loss").xAxisTitle("epoch").yAxisTitle("loss").build();
        loss.addSeries("train loss", lossX, lossY).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        XYChart acc = new XYChartBuilder().width(640).height(420).title(title + ": test accuracy").xAxisTitle("epoch").yAxisTitle("accuracy %").build();
        double[] pct = new double[accuracy.length];
        for (int i = 0; i < pct.length; i++) pct[i] = 100 * accuracy[i];
        acc.addSeries("test accuracy", epochs, pct);
        loss.getStyler().setLegendVisible(false);
        acc.getStyler().setLegendVisible(false);
        acc.getStyler().setYAxisDecimalPattern("0.0#");   // one epoch gives one point: no 82.74000000000001 labels
        loss.getStyler().setYAxisDecimalPattern("0.0##");
        BitmapEncoder.saveBitmap(List.of(loss, acc), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** SHA-256 of every parameter's bits in state_dict order: equal fingerprints mean bit-identical weights. */
    static String fingerprint(Sequential model) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Parameter p : model.parameters()) {
                ByteBuffer b = ByteBuffer.allocate(4 * p.size());
                for (float f : p.data()) b.putInt(Float.floatToRawIntBits(f));
                md.update(b.array());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
