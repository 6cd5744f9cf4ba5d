package io.github.vcnn.onnx;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX backend node tests and the four exported CNNs against their reference outputs (|err| <= 1e-4 + 1e-3 |ref|):
 * the bundled copies always, {@code ../shared/reference} when present (system property {@code vcnn.shared}).
 */
class OnnxReferenceTest {

    static Path shared(String sub) {
        String base = System.getProperty("vcnn.shared");
        Path p = base == null ? null : Path.of(base, "reference", sub);
        return p != null && Files.isDirectory(p) ? p : null;
    }

    static Path bundled() throws Exception {
        return Path.of(OnnxReferenceTest.class.getResource("/onnx-node/README.md").toURI()).getParent();
    }

    private static Stream<DynamicTest> tests(Path root, List<KernelProvider> variants, int atLeast) throws Exception {
        List<Path> folders = BackendTest.find(List.of(root));
        assertTrue(folders.size() >= atLeast, "expected at least " + atLeast + " tests under " + root + ", found " + folders.size());
        List<DynamicTest> t = new ArrayList<>();
        for (KernelProvider k : variants) {
            CompileOptions o = CompileOptions.defaults().withKernels(k);
            for (Path f : folders) {
                t.add(DynamicTest.dynamicTest(f.getFileName() + " [" + k.name() + "]", () -> {
                    BackendTest.Result r = BackendTest.run(f, o);
                    assertTrue(r.passed(), r.line());
                }));
            }
        }
        return t.stream();
    }

    @TestFactory
    Stream<DynamicTest> bundledNodeTests() throws Exception {
        return tests(bundled(), Kernels.available(), 15);
    }

    @TestFactory
    Stream<DynamicTest> sharedNodeTests() throws Exception {
        Path p = shared("onnx-node");
        Assumptions.assumeTrue(p != null, "../shared/reference/onnx-node is absent (vcnn.shared=" + System.getProperty("vcnn.shared") + "): skipped");
        return tests(p, Kernels.available(), 71);
    }

    @TestFactory
    Stream<DynamicTest> sharedModels() throws Exception {
        Path p = shared("onnx-models");
        Assumptions.assumeTrue(p != null, "../shared/reference/onnx-models is absent (vcnn.shared=" + System.getProperty("vcnn.shared") + "): skipped");
        List<String> names = BackendTest.find(List.of(p)).stream().map(f -> f.getFileName().toString()).toList();
        assertEquals(List.of("lenet", "lenet_b64", "resnet18", "squeezenet1_1"), names);
        return tests(p, List.of(Kernels.get()), 4);
    }
}
