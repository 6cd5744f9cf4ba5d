package io.github.vcnn.peers;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime Java, whole-model latency on the service path: a {@code float[]} in, a {@code float[]} out, the
 * input tensor created and the output copied inside every timed call. A warm-up (1 s unless given), then calls for the
 * given seconds; prints one JSON line with the median and p99 per call and the samples per second of wall time.
 *
 * <p>Arguments: {@code model.onnx batch threads seconds [input.f32 [warmup-seconds]]}. The model's first input must be
 * float. Batch 0 means the model's own (1 when its first dimension is dynamic); any other dynamic dimension must not
 * occur. {@code input.f32}: raw little-endian float32 values for the input (vcnn bench-onnx passes its own, so both
 * engines see the same numbers); without it, uniform [0, 1) from seed 1.
 */
public final class OrtLatency {
    private OrtLatency() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || args.length > 6) {
            System.err.println("usage: OrtLatency model.onnx batch threads seconds [input.f32 [warmup-seconds]]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        Path inputFile = args.length > 4 ? Path.of(args[4]) : null;
        double warmup = args.length > 5 ? Double.parseDouble(args[5]) : 1.0;
        long t0 = System.nanoTime();  // environment (native library) + session: ONNX Runtime's start-up cost
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession s = env.createSession(model.toString(), o)) {
                double sessionMs = (System.nanoTime() - t0) / 1e6;
                Map.Entry<String, NodeInfo> input = s.getInputInfo().entrySet().iterator().next();
                String in = input.getKey();
                long[] shape = ((TensorInfo) input.getValue().getInfo()).getShape().clone();
                if (shape[0] > 0 && batch > 0 && batch != shape[0]) {
                    throw new IllegalArgumentException(model + ": the model's batch is fixed at " + shape[0] + ", not " + batch);
                }
                if (shape[0] <= 0) shape[0] = batch > 0 ? batch : 1;
                batch = (int) shape[0];
                long n = 1;
                for (int i = 0; i < shape.length; i++) {
                    if (shape[i] <= 0) {
                        throw new IllegalArgumentException(model + ": input " + in + " has dynamic dimension " + i);
                    }
                    n *= shape[i];
                }
                float[] x = new float[Math.toIntExact(n)];
                if (inputFile != null) {
                    byte[] bytes = java.nio.file.Files.readAllBytes(inputFile);
                    if (bytes.length != 4L * n) {
                        throw new IllegalArgumentException(inputFile + " has " + bytes.length + " bytes; input " + in + " needs " + 4L * n);
                    }
                    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
                } else {
                    SplittableRandom r = new SplittableRandom(1);
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
                }

                List<Double> ms = new ArrayList<>();
                long warmEnd = System.nanoTime() + (long) (warmup * 1e9), end = 0, start = 0, last = 0;
                double sink = 0;
                while (true) {
                    long t = System.nanoTime();
                    try (OnnxTensor tx = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                         OrtSession.Result res = s.run(Map.of(in, tx))) {
                        FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
                        float[] y = new float[fb.remaining()];
                        fb.get(y);
                        sink += y[0];
                    }
                    long now = System.nanoTime();
                    if (end == 0) {
                        if (now >= warmEnd) {
                            start = now;
                            end = now + (long) (seconds * 1e9);
                        }
                        continue;
                    }
                    ms.add((now - t) / 1e6);
                    last = now;
                    if (now >= end) break;
                }
                Collections.sort(ms);
                double median = ms.size() % 2 == 1 ? ms.get(ms.size() / 2)
                        : 0.5 * (ms.get(ms.size() / 2 - 1) + ms.get(ms.size() / 2));
                double p99 = ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1));
                String name = model.getParent() != null && model.getFileName().toString().equals("model.onnx")
                        ? model.getParent().getFileName().toString() : model.getFileName().toString();
                System.out.printf(Locale.ROOT,
                        "{\"lib\":\"ort\",\"version\":\"%s\",\"session_ms\":%.3f,\"model\":\"%s\",\"path\":\"%s\",\"batch\":%d,\"threads\":%d,"
                                + "\"median_ms\":%.4f,\"p99_ms\":%.4f,\"min_ms\":%.4f,\"calls\":%d,\"images_per_s\":%.1f,"
                                + "\"measured_s\":%.3f,\"per_s\":%.1f%s}%n",
                        env.getVersion(), sessionMs, name, model.toAbsolutePath().toString().replace("\\", "\\\\"), batch, threads,
                        median, p99, ms.get(0), ms.size(), batch * 1000.0 / median,
                        (last - start) / 1e9, batch * (double) ms.size() / ((last - start) / 1e9), Double.isNaN(sink) ? ",\"nan\":true" : "");
            }
        }
    }
}
