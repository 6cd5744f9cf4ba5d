package io.github.vcnn.kernels;

import io.github.vcnn.testing.NoVectorProbe;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library must load and work without jdk.incubator.vector: a forked JVM without the module. */
class NoVectorModuleTest {

    @Test
    void runsWithoutTheVectorModuleAndSaysHowToEnableIt() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-cp", cp, NoVectorProbe.class.getName());
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        assertEquals(0, proc.exitValue(), "probe JVM failed:\n" + out);
        assertTrue(out.contains("selected=auto"), "without the module the auto kernels must be chosen:\n" + out);
        assertTrue(out.contains("simdAvailable=false"), out);
        assertTrue(out.contains("simd=refused") && out.contains(Kernels.ENABLE_HINT), "simd() must refuse with the hint:\n" + out);
        assertTrue(out.contains(Kernels.ENABLE_HINT) && out.lines().anyMatch(l -> l.contains("vcnn:") && l.contains(Kernels.ENABLE_HINT)),
                "one log line must say how to enable SIMD:\n" + out);
        String err = out.lines().filter(l -> l.startsWith("convMaxRelErr=")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(Double.parseDouble(err.substring("convMaxRelErr=".length())) < 1e-4, out);
        assertTrue(!cp.isEmpty() && cp.contains(File.separator), "class path: " + cp);
    }
}
