package io.github.vcnn.kernels;

import io.github.vcnn.testing.ForkedJvm;
import io.github.vcnn.testing.KernelChoiceProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the SIMD kernels chosen, one log line advises the loop strip-mining flags under ParallelGC and SerialGC (C2 does
 * not strip-mine loops there, which measured 1.7x slower on the Winograd GEMM), and none under G1 or with the flag given.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the advice goes with the SIMD kernels, which need --add-modules jdk.incubator.vector")
class StripMiningAdviceTest {
    private static final String VECTOR = "--add-modules=jdk.incubator.vector";

    @Test
    void adviceUnderParallelAndSerialGcOnly() throws Exception {
        assertEquals(1, adviceLines(List.of(VECTOR, "-XX:+UseParallelGC")), "ParallelGC");
        assertEquals(1, adviceLines(List.of(VECTOR, "-XX:+UseSerialGC")), "SerialGC");
        assertEquals(0, adviceLines(List.of(VECTOR, "-XX:+UseG1GC")), "G1");
        assertEquals(0, adviceLines(List.of(VECTOR, "-XX:+UseParallelGC", "-XX:+UseCountedLoopSafepoints", "-XX:LoopStripMiningIter=1000")),
                "ParallelGC with the flags");
    }

    private static long adviceLines(List<String> jvmArgs) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(Duration.ofSeconds(120), jvmArgs, KernelChoiceProbe.class);
        String out = r.output();
        assertEquals(0, r.exit(), "probe JVM failed:\n" + out);
        assertTrue(out.contains("selected=simd"), jvmArgs + ": the SIMD kernels must be chosen:\n" + out);
        return out.lines().filter(l -> l.contains("does not strip-mine loops") && l.contains("-XX:+UseCountedLoopSafepoints")).count();
    }
}
