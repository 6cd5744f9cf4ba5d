package io.github.vcnn.bench;

import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedDenseWeights;
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
 * Dense / SGEMM, one thread. GFLOP/s = 2*m*n*k / time.
 * <ul>
 *   <li>{@code lenet_fc1_fwd}: LeNet-FM's Linear 3136->128 + ReLU at batch 64 (x W^T + b), weights packed once in
 *       {@code @Setup} as the Linear layer does (the packing is not timed)</li>
 *   <li>{@code lenet_fc1_bwd_data}, {@code lenet_fc1_bwd_weights}: its two backward products</li>
 *   <li>{@code sgemm1024}: C = A B, 1024 x 1024 x 1024, no transposes</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DenseBench {

    @Param({"lenet_fc1_fwd", "sgemm1024"})
    public String shape;

    private DenseKernels dense;
    private DenseParams p;
    private float[] x, w, b, y, dz, dx, dw, db;
    private PackedDenseWeights packed;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams bp) {
        dense = Kernels.byName(PoolBench.variantOf(bp)).dense();
        p = shape.equals("sgemm1024") ? new DenseParams(1024, 1024, 1024) : new DenseParams(64, 3136, 128);
        Random rnd = new Random(42);
        x = random(rnd, p.batch() * p.in());
        w = random(rnd, p.out() * p.in());
        packed = dense.pack(p, w, 0);
        b = random(rnd, p.out());
        y = new float[p.batch() * p.out()];
        dz = random(rnd, p.batch() * p.out());
        dx = new float[p.batch() * p.in()];
        dw = new float[p.out() * p.in()];
        db = new float[p.out()];
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private float[] run() {
        switch (shape) {
            case "lenet_fc1_fwd" -> dense.fwd(p, x, 0, packed, b, 0, Epilogue.RELU, y, 0);
            case "lenet_fc1_bwd_data" -> dense.bwdData(p, dz, 0, w, 0, dx, 0);
            case "lenet_fc1_bwd_weights" -> dense.bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0);
            // 1024^3: C[m][n] = A[m][k] B[k][n]; x is 1024x1024 (A), w is 1024x1024 (B), y is C
            case "sgemm1024" -> dense.sgemm(false, false, 1024, 1024, 1024, 1f, x, 0, 1024, w, 0, 1024, 0f, y, 0, 1024);
            default -> throw new IllegalArgumentException("unknown dense shape " + shape);
        }
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
