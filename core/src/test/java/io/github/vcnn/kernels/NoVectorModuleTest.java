package io.github.vcnn.kernels;

import io.github.vcnn.testing.ForkedJvm;
import io.github.vcnn.testing.NoVectorProbe;
import io.github.vcnn.testing.SleepProbe;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library must load and work without jdk.incubator.vector: a forked JVM without the module. */
class NoVectorModuleTest {

    @Test
    void runsWithoutTheVectorModuleAndSaysHowToEnableIt() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(Duration.ofSeconds(120), List.of(), NoVectorProbe.class);
        String out = r.output();
        assertEquals(0, r.exit(), "probe JVM failed:\n" + out);
        assertTrue(out.contains("selected=auto"), "without the module the auto kernels must be chosen:\n" + out);
        assertTrue(out.contains("simdAvailable=false"), out);
        assertTrue(out.contains("simd=refused") && out.contains(Kernels.ENABLE_HINT), "simd() must refuse with the hint:\n" + out);
        assertEquals(1, out.lines().filter(l -> l.contains("vcnn:") && l.contains(Kernels.ENABLE_HINT)).count(),
                "exactly one log line must say how to enable SIMD:\n" + out);
        String err = out.lines().filter(l -> l.startsWith("convMaxRelErr=")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(Double.parseDouble(err.substring("convMaxRelErr=".length())) < 1e-4, out);
    }

    /** The old version read the child's output to its end before waiting, so its 60 s timeout could never fire. */
    @Test
    void theForkTimeoutFires() {
        long t0 = System.nanoTime();
        AssertionError e = assertThrows(AssertionError.class, () -> ForkedJvm.run(Duration.ofSeconds(3), List.of(), SleepProbe.class));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().contains("did not finish within") && e.getMessage().contains("sleeping"), e.getMessage());
        assertTrue(seconds < 30, "the hanging child must be killed after the timeout, took " + seconds + " s");
    }
}
