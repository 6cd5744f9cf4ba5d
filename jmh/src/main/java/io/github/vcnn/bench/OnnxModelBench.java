package io.github.vcnn.bench;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.onnx.OnnxImporter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Whole-model inference with an imported ONNX model compiled by vcnn ({@code CompiledModel.predict}), one call per
 * invocation: ResNet-18, SqueezeNet 1.1 and LeNet from {@code ../shared/reference/onnx-models} (override the folder with
 * {@code -Dvcnn.onnx.models=DIR}); batch and intra-op threads as parameters. {@code -prof gc} shows the bytes per call.
 * Warm-up 30 s: HotSpot compiles a method with C2 only after about 600 calls, and until then a helper that runs once
 * per predict (a bias add, a residual add) runs as C1 code, in which every Vector API operation allocates: ResNet-18
 * measured 24 KB per call after 200 calls, 238 B (JMH's own) after 30 s.
 * ONNX Runtime Java runs beside it in the peers suite (bench/peers), not here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 10, time = 3)
@Measurement(iterations = 5, time = 2)
public class OnnxModelBench {

    @Param({"resnet18", "squeezenet1_1", "lenet"})
    public String model;

    @Param({"1", "64"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    @Param({"simd"})
    public String kernels;

    private CompiledModel compiled;
    private float[] x, y;

    static Path modelFile(String name) {
        String dir = System.getProperty("vcnn.onnx.models");
        Path base = dir != null ? Path.of(dir) : Path.of("..", "shared", "reference", "onnx-models");
        if (!Files.isDirectory(base)) base = Path.of("..", "..", "shared", "reference", "onnx-models");
        return base.resolve(name).resolve("model.onnx");
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Path f = modelFile(model);
        if (!Files.exists(f)) throw new IllegalStateException(f.toAbsolutePath() + " not found: set -Dvcnn.onnx.models=DIR");
        Graph g = OnnxImporter.load(f);
        compiled = CompiledModel.compile(g, CompileOptions.defaults().withKernels(Kernels.byName(kernels)).withThreads(threads));
        SplittableRandom r = new SplittableRandom(42);
        x = new float[compiled.inputSize() * batch];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        y = new float[compiled.outputSize() * batch];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        compiled.close();
    }

    @Benchmark
    public float[] predict() {
        compiled.predict(batch, x, y);
        return y;
    }
}
