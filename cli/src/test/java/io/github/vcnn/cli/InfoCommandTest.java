package io.github.vcnn.cli;

import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn info}: the species, the kernel variant and why, whether C2 is on. */
class InfoCommandTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void printsTheVariantTheSpeciesAndTheJitOfThisJvm() {
        String out = info();
        assertTrue(out.contains("\nkernels   " + Kernels.get().name() + ": "), out);
        assertTrue(out.matches("(?s).*\njit       C2 (on|off: .+).*"), out);
        if (Kernels.simdAvailable()) {
            assertTrue(out.contains("vector    module jdk.incubator.vector present"), out);
            assertTrue(out.matches("(?s).*\nspecies   FloatVector SPECIES_(64|128|256|512): (2|4|8|16) float lanes \\((64|128|256|512) bits\\).*"), out);
            assertTrue(out.contains("\nconv tile "), out);
        } else {
            assertTrue(out.contains("vector    module jdk.incubator.vector absent: start java with --add-modules jdk.incubator.vector"), out);
            assertFalse(out.contains("species   FloatVector"), out);
        }
    }

    @Test
    void withTheVectorModuleAndC2ItIsSimdAndSaysWhy() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(TIMEOUT, List.of("--add-modules", "jdk.incubator.vector"), Main.class, "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("jit       C2 on"), r.output());
        assertTrue(r.output().contains("kernels   simd: the Vector API module is present and C2 is on"), r.output());
        assertTrue(r.output().contains("species   FloatVector SPECIES_"), r.output());
    }

    @Test
    void withoutTheModuleItIsAutoAndSaysHowToEnableSimd() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(TIMEOUT, List.of(), Main.class, "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("vector    module jdk.incubator.vector absent: start java with --add-modules jdk.incubator.vector"), r.output());
        assertTrue(r.output().contains("kernels   auto: the Vector API module is not enabled"), r.output());
        assertFalse(r.output().contains("species   "), r.output());
    }

    @Test
    void c1OnlyTurnsC2OffAndTheKernelsFallBack() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(TIMEOUT, List.of("--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1"), Main.class, "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("jit       C2 off: -XX:TieredStopAtLevel=1 (C1 only)"), r.output());
        assertTrue(r.output().contains("kernels   auto: the Vector API module is present but C2 is off"), r.output());
    }

    @Test
    void anOverrideIsNamed() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(TIMEOUT, List.of("--add-modules", "jdk.incubator.vector", "-Dvcnn.kernels=scalar"), Main.class, "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("kernels   scalar: forced by -Dvcnn.kernels=scalar"), r.output());
        ForkedJvm.Result bad = ForkedJvm.run(TIMEOUT, List.of("-Dvcnn.kernels=simd"), Main.class, "info");
        assertEquals(0, bad.exit(), bad.output());
        assertTrue(bad.output().contains("kernels   auto: -Dvcnn.kernels=simd ignored (the SIMD kernels are unavailable); the Vector API module is not enabled"),
                bad.output());
    }

    private static String info() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.commandLine().execute("info"));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
