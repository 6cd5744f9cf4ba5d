package io.github.vcnn.spark;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.kernels.Kernels;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What Spark adds to batch inference: images/s of {@link VcnnScorer} on local[1] and local[2] against the plain
 * in-process loop (read the file, decode and prepare the image, {@code predict} in batches) on 1 and 2 threads, on the
 * same generated PNG files. {@code ./vcnn spark-bench --model M.onnx [--images N] [--batch B] [--runs R]}; run it under
 * {@code flock /tmp/bench.lock} on a quiet machine. Each figure is the best of R runs after one warm-up run.
 */
public final class SparkBench {
    private SparkBench() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("log4j2.configurationFile") == null) System.setProperty("log4j2.configurationFile", SparkScoreJob.LOG_CONFIG);
        String model = null;
        int images = 1000, batch = 32, runs = 3;
        String openCost = null;   // spark.sql.files.openCostInBytes: how many small files binaryFile packs into a partition
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--open-cost" -> openCost = args[++i];
                default -> {
                    System.err.println("vcnn spark-bench: unknown argument '" + args[i] + "' (--model M --images N --batch B --runs R --open-cost BYTES)");
                    System.exit(2);
                }
            }
        }
        if (model == null || !Files.isRegularFile(Path.of(model))) {
            System.err.println("vcnn spark-bench: --model " + model + ": no such file");
            System.exit(2);
        }
        byte[] bytes = Files.readAllBytes(Path.of(model));
        CompiledModel m = ModelCache.get(ModelCache.key(model, bytes, 1), () -> bytes);
        int[] shape = m.inputShape(0);
        ImagePreprocessing prep = new ImagePreprocessing(shape[1], shape[2], shape[3], 0, null, null);
        Path dir = Files.createTempDirectory("vcnn-spark-bench-");
        int side = shape[1] == 3 ? Math.round(shape[2] * 256f / 224f) : shape[2];
        writeImages(dir, images, side);
        List<Path> files;
        try (var s = Files.list(dir)) {
            files = s.sorted(Comparator.naturalOrder()).toList();
        }

        System.out.println("vcnn spark-bench: " + Path.of(model).getFileName() + " " + Arrays.toString(shape) + ", " + images + " PNG images of "
                + side + "x" + side + ", batch " + batch + ", best of " + runs + " runs after a warm-up");
        System.out.println("cpu: " + cpu() + ", " + Runtime.getRuntime().availableProcessors() + " cores; JDK " + System.getProperty("java.version")
                + "; kernels " + Kernels.get().name() + "; load average " + load());
        double[] plain = new double[3];
        for (int t = 1; t <= 2; t++) {
            final int threads = t, b = batch;
            plain[t] = best(runs, () -> plain(m, prep, files, threads, b));
            System.out.println(String.format(Locale.ROOT, "plain predict, %d thread(s): %8.1f images/s", t, images / plain[t]));
        }
        for (int t = 1; t <= 2; t++) {
            SparkSession.Builder sb = SparkSession.builder().master("local[" + t + "]").appName("vcnn spark-bench").config("spark.ui.enabled", "false");
            if (openCost != null) sb.config("spark.sql.files.openCostInBytes", openCost);
            SparkSession spark = sb.getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            VcnnScorer scorer = new VcnnScorer().setModelPath(model).setBatchSize(batch);
            final Dataset<Row> files2 = spark.read().format("binaryFile").load(dir.toString());
            int parts = files2.rdd().getNumPartitions();
            double s = best(runs, () -> {
                scorer.transform(files2).select("scores").write().format("noop").mode("overwrite").save();
                return null;
            });
            System.out.println(String.format(Locale.ROOT, "spark local[%d] (%d partitions%s): %8.1f images/s, %.2fx the plain loop on %d thread(s)", t, parts,
                    openCost == null ? "" : ", openCostInBytes " + openCost, images / s, s > 0 ? plain[t] / s : 0, t));
            spark.stop();
        }
        System.out.println("load average after: " + load());
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    interface Run {
        Object run() throws Exception;
    }

    /** Seconds of the best of {@code runs} runs after one warm-up. */
    static double best(int runs, Run r) throws Exception {
        r.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /** The loop without Spark: read, decode, prepare, predict in batches; {@code threads} threads take every threads-th batch. */
    static Object plain(CompiledModel m, ImagePreprocessing prep, List<Path> files, int threads, int batch) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int first = t;
                fs.add(pool.submit(() -> {
                    float[] x = new float[batch * m.inputSize()], y = new float[batch * m.outputSize()];
                    for (int start = first * batch; start < files.size(); start += threads * batch) {
                        int n = Math.min(batch, files.size() - start);
                        for (int i = 0; i < n; i++) {
                            Path f = files.get(start + i);
                            prep.apply(ImagePreprocessing.decode(Files.readAllBytes(f), f.toString()), x, i * m.inputSize());
                        }
                        m.predict(n, x, 0, y, 0);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
        return null;
    }

    static void writeImages(Path dir, int n, int side) throws IOException {
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < side; y++) for (int x = 0; x < side; x++) img.setRGB(x, y, r.nextInt(1 << 24));
            ImageIO.write(img, "png", dir.resolve(String.format("img-%05d.png", i)).toFile());
        }
    }

    static String cpu() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).strip();
        } catch (IOException ignored) {
        }
        return System.getProperty("os.arch");
    }

    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
