package io.github.vcnn.bench;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.simd.conv.WinogradConv;
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

import java.util.concurrent.TimeUnit;

/**
 * Winograd F(4x4,3x3) forward (bias + ReLU fused, as {@link ConvForwardBench}), one thread, on the 3x3 stride-1
 * shapes of {@link BenchShapes}. Weights are transformed once in the setup. Nominal GFLOP/s =
 * {@link ConvParams#flops()} / time, the direct kernel's FLOP count (so the two compare as speed), not the
 * multiplies Winograd does. Compare with {@code ConvForwardBench.simd} (direct) in the same run:
 * {@code java -jar jmh/target/benchmarks.jar 'ConvWinogradBench|ConvForwardBench.simd' -p shape=r18_l1,r18_l2,r18_l3,r18_l4,vgg_b}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvWinogradBench {

    @Param({"r18_l1", "r18_l2", "r18_l3", "r18_l4", "vgg_b"})
    public String shape;

    private ConvParams p;
    private float[] x, u, b, y;

    @Setup(Level.Trial)
    public void setup() {
        p = BenchShapes.conv(shape);
        if (!WinogradConv.applies(p)) throw new IllegalArgumentException("not a 3x3 stride-1 conv: " + shape);
        x = BenchShapes.random(p.inputSize(), 1);
        b = BenchShapes.random(p.k(), 2);
        y = new float[p.outputSize()];
        u = WinogradConv.transformWeights(p, BenchShapes.random(p.weightSize(), 3), 0);
    }

    @Benchmark
    public float[] winograd() {
        WinogradConv.fwd(p, x, 0, u, b, 0, Epilogue.RELU, y, 0);
        return y;
    }
}
