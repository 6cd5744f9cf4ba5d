package io.github.vcnn.bench;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Activation forward, out of place, one thread. GB/s = 8 bytes per element (read x, write y) / time.
 * Shapes: vgg_b = 1x64x112x112 (3.2 MB in, cache-resident on this machine), big = 64M floats (256 MB, DRAM-bound:
 * the memory-bandwidth measurement that "within 2x of bandwidth-bound time" is stated against).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ActivationBench {

    @Param({"relu", "sigmoid"})
    public String op;

    @Param({"vgg_b"})
    public String shape;

    private ActivationKernels kernels;
    private Epilogue epilogue;
    private float[] x, y;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams bp) {
        int n = switch (shape) {
            case "vgg_b" -> 64 * 112 * 112;
            case "big" -> 64 << 20;
            default -> throw new IllegalArgumentException("unknown activation shape " + shape);
        };
        epilogue = switch (op) {
            case "relu" -> Epilogue.RELU;
            case "sigmoid" -> Epilogue.SIGMOID;
            case "leaky_relu" -> Epilogue.leakyRelu(0.01f);
            default -> throw new IllegalArgumentException("unknown activation " + op);
        };
        boolean copyOnly = bp.getBenchmark().endsWith(".memcpy");
        kernels = copyOnly ? null : Kernels.byName(PoolBench.variantOf(bp)).activation();
        Random rnd = new Random(42);
        x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 8 - 4;
        y = new float[n];
    }

    private float[] run() {
        kernels.fwd(epilogue, x, 0, y, 0, x.length);
        return y;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:-UseSuperWord"})
    public float[] scalar() {
        return run();
    }

    @Benchmark
    public float[] auto() {
        return run();
    }

    @Benchmark
    public float[] simd() {
        return run();
    }

    /** The floor: System.arraycopy of the same bytes (read x, write y), i.e. the memory system's copy bandwidth. */
    @Benchmark
    public float[] memcpy() {
        System.arraycopy(x, 0, y, 0, x.length);
        return y;
    }
}
