package io.github.vcnn.cli;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.graph.Tensor;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.onnx.OnnxImporter;
import io.github.vcnn.onnx.TensorProtos;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code vcnn infer MODEL INPUT}: one inference with an imported ONNX model. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"Runs an ONNX model on one input and prints the top classes (softmax of the output) or writes the output tensor.",
                "INPUT is a TensorProto (.pb), an image (.png, .jpg, .jpeg, .bmp, .gif: resized, center-cropped, scaled to [0,1] and "
                        + "normalised), or raw little-endian float32 values with --shape.",
                "Exit 0 on success, 1 if the model or input cannot be used, 2 for a usage mistake."})
public final class InferCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", converter = Cli.ReadableFile.class, description = "the .onnx model")
    Path model;

    @Parameters(index = "1", paramLabel = "INPUT", converter = Cli.ReadableFile.class, description = "a .pb TensorProto, an image, or raw float32 (with --shape)")
    Path input;

    @Option(names = "--shape", paramLabel = "N,C,H,W", split = ",", description = "shape of a raw float32 INPUT (default: the model's input shape)")
    int[] shape;

    @Option(names = "--raw", description = "read INPUT as raw little-endian float32 whatever its extension")
    boolean raw;

    @Option(names = "--out", paramLabel = "FILE", converter = Cli.OutputPath.class, description = "write the output tensor to FILE (.pb: a TensorProto; otherwise raw little-endian float32)")
    Path out;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", converter = Cli.Count.class, description = "classes to print per sample (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--labels", paramLabel = "FILE", converter = Cli.ReadableFile.class, description = "class names, one per line, to print with the top classes")
    Path labels;

    @Option(names = "--resize", paramLabel = "S", converter = Cli.Count.class, description = "images: resize the shorter side to S before the center crop "
            + "(default: 256/224 of the model's input size for 3 channels, the input size itself for 1)")
    Integer resize;

    @Option(names = "--mean", paramLabel = "M,..", split = ",", description = "images: per-channel mean subtracted after scaling to [0,1] "
            + "(default 0.485,0.456,0.406 for RGB, 0 for gray)")
    float[] mean;

    @Option(names = "--std", paramLabel = "S,..", split = ",", description = "images: per-channel divisor (default 0.229,0.224,0.225 for RGB, 1 for gray)")
    float[] std;

    @Option(names = "--kernels", paramLabel = "VARIANT", converter = Cli.Variant.class,
            description = "scalar, auto or simd (default: the one chosen at start-up)")
    KernelProvider kernels;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "1", converter = Cli.ModelThreads.class,
            description = "intra-op threads, 1 to 256 (default ${DEFAULT-VALUE})")
    int threads;

    /**
     * Every value was checked by its converter while parsing; what needs the model (shapes, per-channel lists) is a
     * usage error found here, and failed work (a corrupt model or input) goes to {@link Cli}'s handler: one line, exit 1.
     */
    @Override
    public Integer call() throws IOException {
        try {
            var options = OnnxCli.options(kernels, threads);
            Graph g = OnnxImporter.load(model);
            try (CompiledModel m = CompiledModel.compile(g, options)) {
                if (m.inputCount() != 1 || m.outputCount() != 1) {
                    throw new IllegalArgumentException(model + " has " + m.inputCount() + " inputs and " + m.outputCount()
                            + " outputs; infer runs single-input, single-output models");
                }
                float[] x = readInput(m);
                int batch = x.length / m.inputSize();
                long t0 = System.nanoTime();
                float[] y = m.predict(x);
                double ms = (System.nanoTime() - t0) / 1e6;
                int[] outShape = m.outputShape(0);
                if (m.anyBatch()) outShape[0] = batch;
                PrintWriter o = spec.commandLine().getOut();
                if (out != null) {
                    write(out, m.outputName(0), outShape, y);
                    o.println("wrote " + out + " (" + m.outputName(0) + " " + Arrays.toString(outShape) + ", " + y.length + " floats)");
                } else if (outShape.length == 2 && outShape[1] >= 2) {
                    printTop(o, y, outShape[0], outShape[1], readLabels());
                } else {
                    o.println(m.outputName(0) + " " + Arrays.toString(outShape) + ": " + preview(y) + " (write it with --out FILE)");
                }
                o.println(String.format(Locale.ROOT, "%s, batch %d, %.1f ms (first call, includes warm-up), kernels %s", model.getFileName(), batch, ms,
                        options.kernels().name()));
                o.flush();
                return 0;
            }
        } catch (OnnxCli.UsageError e) {
            throw OnnxCli.usage(spec, e);
        }
    }

    private float[] readInput(CompiledModel m) throws IOException {
        String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
        int[] want = m.inputShape(0);
        float[] x;
        if (!raw && shape == null && name.endsWith(".pb")) {
            x = TensorProtos.read(input).floats();
        } else if (!raw && shape == null && (name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".bmp") || name.endsWith(".gif"))) {
            x = image(want);
        } else {
            long bytes = Files.size(input);
            if (bytes % 4 != 0) throw new IOException(input + " has " + bytes + " bytes, not a whole number of float32 values");
            int[] s = shape != null ? shape : want;
            long n = Tensor.elements(s);
            if (shape == null && bytes / 4 % m.inputSize() == 0) n = bytes / 4;
            if (bytes / 4 != n) {
                throw new OnnxCli.UsageError(shape != null
                        ? "--shape " + Arrays.toString(shape) + " needs " + n + " floats, " + input + " holds " + bytes / 4
                        : "INPUT " + input + " holds " + bytes / 4 + " floats, the model's input " + Arrays.toString(want) + " needs " + n);
            }
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(input)).order(ByteOrder.LITTLE_ENDIAN);
            x = new float[(int) n];
            b.asFloatBuffer().get(x);
        }
        if (x.length == 0 || x.length % m.inputSize() != 0 || (!m.anyBatch() && x.length != m.inputSize())) {
            throw new IOException(input + " holds " + x.length + " values; the model's input '" + m.inputName(0) + "' " + Arrays.toString(want)
                    + (m.anyBatch() ? " needs a multiple of " + m.inputSize() : " needs " + m.inputSize()));
        }
        return x;
    }

    /** An image as {@code [1, C, H, W]}: shorter side resized, center crop, [0,1], (x - mean) / std. */
    private float[] image(int[] want) throws IOException {
        if (want.length != 4 || (want[1] != 1 && want[1] != 3)) {
            throw new IOException("the model's input " + Arrays.toString(want) + " is not an image batch [N, 1 or 3, H, W]");
        }
        BufferedImage img = ImageIO.read(input.toFile());
        if (img == null) throw new IOException(input + " is not an image javax.imageio can read");
        int c = want[1], h = want[2], w = want[3];
        float[] mu = mean != null ? mean : c == 3 ? new float[]{0.485f, 0.456f, 0.406f} : new float[]{0f};
        float[] sd = std != null ? std : c == 3 ? new float[]{0.229f, 0.224f, 0.225f} : new float[]{1f};
        if (mu.length != c && mu.length != 1) throw new OnnxCli.UsageError("--mean needs 1 or " + c + " values, got " + mu.length);
        if (sd.length != c && sd.length != 1) throw new OnnxCli.UsageError("--std needs 1 or " + c + " values, got " + sd.length);
        for (float v : sd) if (!(v != 0f) || !Float.isFinite(v)) throw new OnnxCli.UsageError("--std values must be finite and non-zero");
        int shortSide = resize != null ? resize : c == 3 ? Math.round(Math.min(h, w) * 256f / 224f) : Math.min(h, w);
        if (shortSide < Math.min(h, w)) throw new OnnxCli.UsageError("--resize " + shortSide + " is smaller than the model's input " + h + "x" + w);
        double scale = (double) shortSide / Math.min(img.getWidth(), img.getHeight());
        int rw = Math.max(w, (int) Math.round(img.getWidth() * scale)), rh = Math.max(h, (int) Math.round(img.getHeight() * scale));
        BufferedImage resized = new BufferedImage(rw, rh, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = resized.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        gr.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        gr.drawImage(img, 0, 0, rw, rh, null);
        gr.dispose();
        int x0 = (rw - w) / 2, y0 = (rh - h) / 2;
        float[] x = new float[c * h * w];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                int rgb = resized.getRGB(x0 + j, y0 + i);
                float r = ((rgb >> 16) & 255) / 255f, gg = ((rgb >> 8) & 255) / 255f, b = (rgb & 255) / 255f;
                if (c == 1) {
                    x[i * w + j] = (0.299f * r + 0.587f * gg + 0.114f * b - mu[0]) / sd[0];
                } else {
                    float[] v = {r, gg, b};
                    for (int ch = 0; ch < 3; ch++) x[(ch * h + i) * w + j] = (v[ch] - mu[mu.length == 1 ? 0 : ch]) / sd[sd.length == 1 ? 0 : ch];
                }
            }
        }
        return x;
    }

    private List<String> readLabels() throws IOException {
        return labels == null ? null : Files.readAllLines(labels);
    }

    private void printTop(PrintWriter o, float[] y, int batch, int classes, List<String> names) {
        int k = Math.min(top, classes);
        for (int n = 0; n < batch; n++) {
            int base = n * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < classes; i++) max = Math.max(max, y[base + i]);
            double sum = 0;
            for (int i = 0; i < classes; i++) sum += Math.exp(y[base + i] - max);
            Integer[] idx = new Integer[classes];
            for (int i = 0; i < classes; i++) idx[i] = i;
            final int b0 = base;
            Arrays.sort(idx, (a, b) -> Float.compare(y[b0 + b], y[b0 + a]));
            if (batch > 1) o.println("sample " + n + ":");
            for (int r = 0; r < k; r++) {
                int cl = idx[r];
                String label = names != null && cl < names.size() ? "  " + names.get(cl) : "";
                o.println(String.format(Locale.ROOT, "%d. class %d  score %.4f  p %.4f%s", r + 1, cl, y[base + cl], Math.exp(y[base + cl] - max) / sum, label));
            }
        }
    }

    private static String preview(float[] y) {
        List<String> v = new ArrayList<>();
        for (int i = 0; i < Math.min(8, y.length); i++) v.add(String.format(Locale.ROOT, "%.4g", y[i]));
        return v + (y.length > 8 ? " ..." : "");
    }

    private static void write(Path file, String name, int[] shape, float[] y) throws IOException {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pb")) {
            TensorProtos.write(file, name, shape, y);
        } else {
            ByteBuffer b = ByteBuffer.allocate(y.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(y);
            Files.write(file, b.array());
        }
    }
}
