package io.github.vcnn.cli;

import io.github.vcnn.io.FashionMnist;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.train.Dataset;
import io.github.vcnn.train.Trainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** What the train and finetune commands share: data loading, the progress bar, the chart, the weight fingerprint. */
final class TrainSupport {
    private TrainSupport() {
    }

    record Data(Dataset train, Dataset test, Path dir) {
    }

    /** Fashion-MNIST from {@code --data} or the default locations; null (after printing how to get it) when absent. */
    static Data loadFashionMnist(Path dataDir) throws IOException {
        Path dir;
        try {
            dir = FashionMnist.locate(dataDir);
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println(dataDir != null ? e.getFile() + ": " + e.getReason() : e.getReason());
            return null;
        }
        FashionMnist.Split train = FashionMnist.train(dir);
        FashionMnist.Split test = FashionMnist.test(dir);
        return new Data(new Dataset(train.images(), train.labels(), 1, 28, 28), new Dataset(test.images(), test.labels(), 1, 28, 28), dir);
    }

    /** A progress bar over one epoch's images (me.tongfei.progressbar, on stderr), showing the running loss. */
    static ProgressBar progressBar(String task, long images) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(images).setUnit(" img", 1).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).showSpeed().setMaxRenderedLength(110).build();
    }

    /** Per-batch hook that drives one progress bar per epoch. */
    static final class Progress implements Trainer.BatchListener, AutoCloseable {
        private final String label;
        private final int epochs;
        private final long images;
        private final boolean enabled;
        private ProgressBar bar;
        private int lastImages;
        private double runningLoss = Double.NaN;

        Progress(String label, int epochs, long images, boolean enabled) {
            this.label = label;
            this.epochs = epochs;
            this.images = images;
            this.enabled = enabled;
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, int done, double loss) {
            runningLoss = Double.isNaN(runningLoss) || batch == 0 ? loss : 0.98 * runningLoss + 0.02 * loss;
            if (!enabled) return;
            if (batch == 0) {
                close();
                bar = progressBar(label + " " + epoch + "/" + epochs, images);
                lastImages = 0;
            }
            bar.stepBy(done - lastImages);
            lastImages = done;
            bar.setExtraMessage(String.format(" loss %.4f", runningLoss));
            if (batch == batches - 1) close();
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
