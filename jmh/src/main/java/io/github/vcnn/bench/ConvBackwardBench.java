package io.github.vcnn.bench;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
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
 * conv2d backward on {@code threads} intra-op threads (default 1): bwdData (dx from dz and w) and bwdWeights (dw and db from x and dz)
 * per variant. Nominal GFLOP/s of each = the forward's 2*N*K*(C/groups)*R*S*outH*outW / time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBackwardBench {

    /**
     * A name of {@link BenchShapes#CONV_NAMES} or any shape {@code N:C:H:W:K:R:S:stride:pad[:groups]}
     * ({@link BenchShapes#conv(String)}; {@code ./vcnn bench -p shape=64,32,14,14,64,5,5,1,2} is accepted too).
     */
    @Param({"lenet_c1", "lenet_c2", "r18_l1", "r18_l1_n8"})
    public String shape;

    /** Intra-op threads per call (the shared WorkerPool; variants without intra-op parallelism ignore it). */
    @Param({"1"})
    public int threads;

    private ConvParams p;
    private ConvKernels conv;
    private float[] x, w, dz, dx, dw, db;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams bp) {
        p = BenchShapes.conv(shape);
        conv = ConvForwardBench.kernelsOf(bp);
        x = BenchShapes.random(p.inputSize(), 1);
        w = BenchShapes.random(p.weightSize(), 3);
        dz = BenchShapes.random(p.outputSize(), 4);
        dx = new float[p.inputSize()];
        dw = new float[p.weightSize()];
        db = new float[p.k()];
    }

    private float[] data() {
        conv.bwdData(p, dz, 0, w, 0, dx, 0, threads);
        return dx;
    }

    private float[] weights() {
        conv.bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0, threads);
        return dw;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:-UseSuperWord"})
    public float[] scalarBwdData() {
        return data();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:-UseSuperWord"})
    public float[] scalarBwdWeights() {
        return weights();
    }

    @Benchmark
    public float[] autoBwdData() {
        return data();
    }

    @Benchmark
    public float[] autoBwdWeights() {
        return weights();
    }

    @Benchmark
    public float[] simdBwdData() {
        return data();
    }

    @Benchmark
    public float[] simdBwdWeights() {
        return weights();
    }
}
