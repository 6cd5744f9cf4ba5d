package io.github.vcnn.bench;

import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.nn.Architectures;
import io.github.vcnn.nn.Objective;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.train.Adam;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Targets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One LeNet-FM training step on a batch of 64 (forward, softmax cross-entropy, backward, Adam with L2), the
 * {@code vcnn train} workload. The score is images per second (64 per step), the unit of PyTorch's same step as
 * {@code bench/peers/peer torch} measures it: compare the two only when measured on the same machine in the same sitting
 * ({@code ./vcnn bench-peers}); anchors.md's figures come from other hosts.
 *
 * <p>{@code kernels=scalar} runs the reference kernels as HotSpot compiles them; for the strictly scalar figure add
 * {@code -jvmArgsAppend -XX:-UseSuperWord}. {@code -p threads=2} splits each batch over two threads (the shared
 * {@code WorkerPool}); {@code -p slices=8} cuts the batch into 8 slices instead of {@code Sequential}'s default 4.
 *
 * <p>Warm-up: 5 x 4 s. With 3 x 2 s the first measured iterations on a 2-core AVX2 host still ran the small kernels
 * in C1 (several KB allocated per image, i.e. Vector API objects boxed outside C2) and C2 was still compiling on the
 * benchmark's cores; the allocation per image reached its steady value only after ~15 s.
 *
 * <p>GC: the JVM's default (G1), what a user gets. It was ParallelGC once; without G1's loop strip mining C2 scheduled
 * the Winograd GEMM's broadcasts ahead of its FMAs and spilled two accumulators on AVX2, 1.7x slower (NOTES.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 4)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainStepBench {
    static final int BATCH = 64;

    @Param({"scalar", "auto", "simd"})
    public String kernels;

    @Param({"1"})
    public int threads;

    @Param({"4"})
    public int slices;

    private Sequential model;
    private Adam adam;
    private float[] x;
    private Objective objective;

    @Setup(Level.Trial)
    public void setUp() {
        model = Architectures.leNetFm(10, 42).kernels(Kernels.byName(kernels)).threads(threads).slices(slices).train();
        adam = new Adam(1e-3).weightDecay(1e-4);
        SplittableRandom r = new SplittableRandom(1);
        x = new float[BATCH * 784];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) labels[i] = r.nextInt(10);
        objective = new SoftmaxCrossEntropy().on(Targets.labels(labels), 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    /** Score in images per second. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public double step() {
        double loss = model.trainStep(x, 0, BATCH, objective);
        adam.step(model);
        return loss;
    }
}
