package io.github.vcnn.bench;

import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;
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
 * Pooling forward, one thread, NCHW: the two pools of anchors.md's table (max 2x2 s2 and avg 3x3 s2 p1 on
 * 1x64x112x112; its oneDNN times come from another host, so they are no yardstick here) and LeNet-FM's pools
 * (batch 64, with argmax as in training).
 * GB/s = (input + output bytes) / time; argmax adds its int bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PoolBench {

    /** max2x2s2 / avg3x3s2p1 / max2x2s2_argmax / max3x3s2ceil (SqueezeNet's). */
    @Param({"max2x2s2", "avg3x3s2p1"})
    public String op;

    /**
     * vgg_b: 1x64x112x112 (anchors.md); vgg_b_n16: batch 16 of it; lenet_p1: 64x32x28x28; lenet_p2: 64x64x14x14;
     * squeeze_p1: 1x64x111x111 (SqueezeNet 1.1's first pool).
     */
    @Param({"vgg_b"})
    public String shape;

    private PoolParams p;
    private PoolKernels pool;
    private float[] x, y;
    private int[] argmax;
    private boolean max, withArgmax;

    static int[] shapeOf(String name) {
        return switch (name) {
            case "vgg_b" -> new int[]{1, 64, 112, 112};
            case "vgg_b_n16" -> new int[]{16, 64, 112, 112}; // 51 MB in: DRAM-bound, compare with ActivationBench.memcpy big
            case "lenet_p1" -> new int[]{64, 32, 28, 28};
            case "lenet_p2" -> new int[]{64, 64, 14, 14};
            case "squeeze_p1" -> new int[]{1, 64, 111, 111};
            default -> throw new IllegalArgumentException("unknown pool shape " + name);
        };
    }

    static String variantOf(BenchmarkParams bp) {
        String method = bp.getBenchmark().substring(bp.getBenchmark().lastIndexOf('.') + 1);
        for (String v : new String[]{"scalar", "auto", "simd"}) {
            if (method.startsWith(v)) return v;
        }
        throw new IllegalStateException("benchmark method " + method + " names no kernel variant");
    }

    @Setup(Level.Trial)
    public void setup(BenchmarkParams bp) {
        int[] s = shapeOf(shape);
        p = switch (op) {
            case "max2x2s2", "max2x2s2_argmax" -> PoolParams.of(s[0], s[1], s[2], s[3], 2, 2, 0);
            case "avg3x3s2p1" -> new PoolParams(s[0], s[1], s[2], s[3], 3, 3, 2, 2, 1, 1, 1, 1, false, true);
            case "max3x3s2ceil" -> new PoolParams(s[0], s[1], s[2], s[3], 3, 3, 2, 2, 0, 0, 0, 0, true, false);
            default -> throw new IllegalArgumentException("unknown pool op " + op);
        };
        max = op.startsWith("max");
        withArgmax = op.endsWith("argmax");
        pool = Kernels.byName(variantOf(bp)).pool();
        Random rnd = new Random(42);
        x = new float[p.inputSize()];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
        y = new float[p.outputSize()];
        argmax = new int[p.outputSize()];
    }

    private float[] run() {
        if (max) pool.maxFwd(p, x, 0, y, 0, withArgmax ? argmax : null, 0);
        else pool.avgFwd(p, x, 0, y, 0);
        return y;
    }

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
