package io.github.vcnn.installed;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Installs-and-uses vcnn-core as a user would: compiles a small program with javac against the built vcnn-core jar alone
 * (no other jar: the core has no runtime dependency) and runs it in fresh JVMs on the class path and on the module path,
 * each with and without {@code --add-modules jdk.incubator.vector}. The program prints the kernel variant chosen and a
 * small convolution; the variant must follow the module's presence and the result must be the reference result.
 * In {@code mvn verify} the jar is core/target/vcnn-core-VERSION.jar; under {@code mvn test} (no package phase) it is
 * the exploded module core/target/classes, which both paths accept too.
 */
class InstalledJarTest {
    private static final String PROGRAM = """
            package demo;

            import io.github.vcnn.kernels.ConvParams;
            import io.github.vcnn.kernels.Epilogue;
            import io.github.vcnn.kernels.KernelProvider;
            import io.github.vcnn.kernels.Kernels;

            public final class Demo {
                public static void main(String[] args) {
                    KernelProvider k = Kernels.get();
                    ConvParams p = ConvParams.builder().input(1, 4, 5, 5).kernel(8, 3, 3).pad(1).build();
                    float[] x = new float[p.inputSize()], w = new float[p.weightSize()], b = new float[p.k()];
                    for (int i = 0; i < x.length; i++) x[i] = i % 7 - 3;
                    for (int i = 0; i < w.length; i++) w[i] = i % 5 - 2;
                    for (int i = 0; i < b.length; i++) b[i] = i - 4;
                    float[] y = new float[p.outputSize()];
                    k.conv().fwd(p, x, 0, k.conv().pack(p, w, 0), b, 0, Epilogue.RELU, y, 0);
                    Module m = Kernels.class.getModule();
                    System.out.println("module " + (m.isNamed() ? m.getName() : "unnamed"));
                    System.out.println("kernels " + k.name());
                    System.out.println("y " + java.util.Arrays.toString(y));
                }
            }
            """;

    @TempDir
    static Path tmp;
    static Path core;
    static Path classPathProgram;
    static Path modulePathProgram;

    @BeforeAll
    static void compile() throws Exception {
        core = Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path src = tmp.resolve("src/demo");
        Files.createDirectories(src);
        Files.writeString(src.resolve("Demo.java"), PROGRAM);
        Files.writeString(tmp.resolve("src/module-info.java"), "module demo { requires io.github.vcnn.core; }\n");
        classPathProgram = tmp.resolve("cp");
        modulePathProgram = tmp.resolve("mp");
        javac("-d", classPathProgram.toString(), "--class-path", core.toString(), src.resolve("Demo.java").toString());
        javac("-d", modulePathProgram.toString(), "--module-path", core.toString(),
                tmp.resolve("src/module-info.java").toString(), src.resolve("Demo.java").toString());
    }

    private static void javac(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, err, err, args);
        assertEquals(0, rc, "javac " + String.join(" ", args) + ":\n" + err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCoreIsAModuleThatNeedsOnlyTheJdk() {
        Set<ModuleReference> found = ModuleFinder.of(core).findAll();
        assertEquals(1, found.size(), core + " holds one module");
        ModuleDescriptor d = found.iterator().next().descriptor();
        assertEquals("io.github.vcnn.core", d.name());
        assertFalse(d.isAutomatic(), "a real module-info, not an Automatic-Module-Name");
        for (ModuleDescriptor.Requires r : d.requires()) {
            assertTrue(r.name().startsWith("java.") || r.name().startsWith("jdk."), "requires only JDK modules: " + d.requires());
            if (r.name().equals("jdk.incubator.vector")) {
                assertTrue(r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC), "the Vector API is optional: " + r);
            }
        }
        Set<String> exports = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(exports.containsAll(List.of("io.github.vcnn.kernels", "io.github.vcnn.nn", "io.github.vcnn.graph", "io.github.vcnn.io",
                "io.github.vcnn.train", "io.github.vcnn.exec")), exports.toString());
        assertFalse(exports.contains("io.github.vcnn.io.internal"), "the JSON reader is internal: " + exports);
        assertFalse(exports.contains("io.github.vcnn.kernels.simd.conv"), "the SIMD conv internals are not API: " + exports);
    }

    @Test
    void classPathWithoutTheVectorModuleUsesThePlainJavaKernels() throws Exception {
        Run r = run(false, false);
        r.expect("unnamed", "auto");
        assertTrue(r.err.contains("using the auto-vectorized Java kernels because the jdk.incubator.vector module is not enabled"), r.err);
    }

    @Test
    void classPathWithTheVectorModuleUsesSimd() throws Exception {
        run(false, true).expect("unnamed", "simd");
    }

    @Test
    void modulePathWithoutTheVectorModuleUsesThePlainJavaKernels() throws Exception {
        Run r = run(true, false);
        r.expect("io.github.vcnn.core", "auto");
        assertTrue(r.err.contains("using the auto-vectorized Java kernels because the jdk.incubator.vector module is not enabled"), r.err);
    }

    @Test
    void modulePathWithTheVectorModuleUsesSimd() throws Exception {
        run(true, true).expect("io.github.vcnn.core", "simd");
    }

    /** The program's output in a fresh JVM (the default JIT, so simd is chosen whenever the module is there). */
    private static Run run(boolean modulePath, boolean vector) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vector) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        if (modulePath) {
            cmd.addAll(List.of("--module-path", core + java.io.File.pathSeparator + modulePathProgram, "--module", "demo/demo.Demo"));
        } else {
            cmd.addAll(List.of("--class-path", core + java.io.File.pathSeparator + classPathProgram, "demo.Demo"));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        p.getOutputStream().close();
        // both streams are small: read them one after the other
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the program did not finish: " + cmd);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\nstdout:\n" + out + "\nstderr:\n" + err);
        return new Run(String.join(" ", cmd), out, err);
    }

    private record Run(String cmd, String out, String err) {
        void expect(String module, String kernels) {
            ConvParams p = ConvParams.builder().input(1, 4, 5, 5).kernel(8, 3, 3).pad(1).build();
            float[] x = new float[p.inputSize()], w = new float[p.weightSize()], b = new float[p.k()];
            for (int i = 0; i < x.length; i++) x[i] = i % 7 - 3;
            for (int i = 0; i < w.length; i++) w[i] = i % 5 - 2;
            for (int i = 0; i < b.length; i++) b[i] = i - 4;
            float[] y = new float[p.outputSize()];
            Kernels.scalar().conv().fwd(p, x, 0, w, 0, b, 0, Epilogue.RELU, y, 0); // small integers: exact in every variant
            String expected = "module " + module + "\nkernels " + kernels + "\ny " + Arrays.toString(y) + "\n";
            assertEquals(expected, out.replace("\r\n", "\n"), cmd + "\nstderr:\n" + err);
        }
    }
}
