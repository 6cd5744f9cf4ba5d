package io.github.vcnn.spark;

import io.github.vcnn.nn.Architectures;
import io.github.vcnn.nn.Sequential;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** One local[2] SparkSession for every test class of the JVM, and the small models and inputs they use. */
final class TestData {
    private TestData() {
    }

    private static SparkSession spark;

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("vcnn-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** LeNet-FM (1x28x28 in, 10 out) with seeded random weights, saved as a vcnn safetensors model. */
    static Path leNetSafetensors(Path dir) throws IOException {
        Sequential m = Architectures.leNetFm(10, 42);
        Path f = dir.resolve("lenet-fm.safetensors");
        m.save(f);
        return f;
    }

    /** The shared folder's ONNX LeNet; the test is skipped (with the reason) when ../shared is absent. */
    static Path sharedOnnxLeNet() {
        String shared = System.getProperty("vcnn.shared", "../../shared");
        Path p = Path.of(shared, "reference", "onnx-models", "lenet", "model.onnx");
        Assumptions.assumeTrue(Files.isRegularFile(p), "skipped: " + p + " is absent (the shared reference folder ../shared is not beside the checkout)");
        return p;
    }

    static float[] randomFloats(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** {@code count} random RGB PNG (and every third a JPEG) images of various sizes, named img-NN. */
    static void writeImages(Path dir, int count, long seed) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            int w = 20 + r.nextInt(30), h = 20 + r.nextInt(30);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
            String fmt = i % 3 == 2 ? "jpg" : "png";
            ImageIO.write(img, fmt, dir.resolve(String.format("img-%02d.%s", i, fmt)).toFile());
        }
    }
}
