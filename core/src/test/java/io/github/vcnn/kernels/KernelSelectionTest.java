package io.github.vcnn.kernels;

import io.github.vcnn.testing.ForkedJvm;
import io.github.vcnn.testing.KernelSelectionProbe;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code -Dvcnn.kernels} in a forked JVM (the choice is made once per JVM): a bad value logs one warning and falls back,
 * it never breaks the class; only an explicit {@code Kernels.byName("simd")} without the module throws, at that call.
 */
class KernelSelectionTest {

    private static ForkedJvm.Result probe(boolean module, String value) throws Exception {
        List<String> jvm = new ArrayList<>();
        if (module) jvm.add("--add-modules=jdk.incubator.vector");
        if (value != null) jvm.add("-D" + Kernels.PROPERTY + "=" + value);
        ForkedJvm.Result r = ForkedJvm.run(Duration.ofSeconds(120), jvm, KernelSelectionProbe.class);
        assertEquals(0, r.exit(), "probe failed (module " + module + ", -D" + Kernels.PROPERTY + "=" + value + "):\n" + r.output());
        assertTrue(r.output().contains("scalar=scalar") && r.output().contains("auto=auto") && r.output().contains("sequential=ok 2"),
                "Kernels.scalar(), byName and new Sequential must work:\n" + r.output());
        assertTrue(r.output().contains("byNameFoo=refused: unknown kernel variant 'foo'"), r.output());
        return r;
    }

    private static long warnings(ForkedJvm.Result r, String value) {
        return r.lines().stream().filter(l -> l.contains("-D" + Kernels.PROPERTY + "=" + value + " ignored")).count();
    }

    @Test
    void anUnknownVariantIsOneWarningAndTheDefault() throws Exception {
        ForkedJvm.Result with = probe(true, "foo");
        assertEquals(1, warnings(with, "foo"), with.output());
        assertTrue(with.output().contains("no such kernel variant (use scalar, auto or simd); using simd"), with.output());
        assertTrue(with.output().contains("selected=simd") && with.output().contains("byNameSimd=simd"), with.output());

        ForkedJvm.Result without = probe(false, "foo");
        assertEquals(1, warnings(without, "foo"), without.output());
        assertTrue(without.output().contains("selected=auto"), without.output());
        assertEquals(1, without.lines().stream().filter(l -> l.contains("vcnn:")).count(), "one line, not a warning plus the usual note:\n" + without.output());
    }

    @Test
    void simdWithoutTheModuleFallsBackAndOnlyAnExplicitRequestThrows() throws Exception {
        ForkedJvm.Result r = probe(false, "simd");
        assertEquals(1, warnings(r, "simd"), r.output());
        assertTrue(r.output().contains("the SIMD kernels need " + Kernels.ENABLE_HINT), r.output());
        assertTrue(r.output().contains("selected=auto"), r.output());
        assertTrue(r.output().contains("byNameSimd=refused: SIMD kernels need the Vector API: run java with " + Kernels.ENABLE_HINT), r.output());
    }

    @Test
    void namesAreCaseInsensitive() throws Exception {
        ForkedJvm.Result r = probe(true, "SCALAR");
        assertTrue(r.output().contains("selected=scalar"), r.output());
        assertEquals(0, r.lines().stream().filter(l -> l.contains("ignored")).count(), r.output());
    }
}
