package io.github.vcnn.bench;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedConvWeights;
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

import java.util.concurrent.TimeUnit;

/**
 * conv2d forward (bias + ReLU fused), the shapes of ../shared/anchors.md ({@link BenchShapes}), on
 * {@code threads} intra-op threads of the shared pool (default 1; {@code -p threads=2}).
 * Nominal GFLOP/s = 2*N*K*(C/groups)*R*S*outH*outW / time (anchors.md convention; see {@link ConvParams#flops()}).
 * Weights are packed once in the setup, as a layer does. Only the measured variant is created, so one
 * variant's benchmarks run even where another is unavailable.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvForwardBench {

    /**
     * A name of {@link BenchShapes#CONV_NAMES} or any shape {@code N:C:H:W:K:R:S:stride:pad[:groups]}
     * ({@link BenchShapes#conv(String)}; {@code ./vcnn bench -p shape=64,32,14,14,64,5,5,1,2} is accepted too).
     */
    @Param({"lenet_c1", "lenet_c2", "r18_conv1", "r18_l1", "r18_l1_n8", "r18_l2", "r18_l3", "r18_l4", "r18_ds", "vgg_b"})
    public String shape;

    /** Intra-op threads per call (the shared WorkerPool; variants without intra-op parallelism ignore it). */
    @Param({"1"})
    public int threads;

    private ConvParams p;
    private ConvKernels conv;
    private PackedConvWeights w;
    private float[] x, b, y;

    /** "scalar", "auto" or "simd" from the benchmark method's name (scalar, autoBwdData, ...). */
    static ConvKernels kernelsOf(BenchmarkParams bp) {
        String method = bp.getBenchmark().substring(bp.getBenchmark().lastIndexOf('.') + 1);
        for (String v : new String[]{"scalar", "auto", "simd"}) {
            if (method.startsWith(v)) return Kernels.byName(v).conv();
        }
        throw new IllegalStateException("benchmark method " + method + " names no kernel variant");
    }

    @Setup(Level.Trial)
    public void setup(BenchmarkParams bp) {
        p = BenchShapes.conv(shape);
        conv = kernelsOf(bp);
        x = BenchShapes.random(p.inputSize(), 1);
        b = BenchShapes.random(p.k(), 2);
        y = new float[p.outputSize()];
        w = conv.pack(p, BenchShapes.random(p.weightSize(), 3), 0);
    }

    private float[] run() {
        conv.fwd(p, x, 0, w, b, 0, Epilogue.RELU, y, 0, threads);
        return y;
    }

    /** The readable reference, with HotSpot's auto-vectorizer off. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:-UseSuperWord"})
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
}
