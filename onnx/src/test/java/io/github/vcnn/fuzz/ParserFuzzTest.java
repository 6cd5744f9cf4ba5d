package io.github.vcnn.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vcnn.io.Idx;
import io.github.vcnn.io.SafeTensors;
import io.github.vcnn.onnx.OnnxImporter;
import org.junit.jupiter.api.Timeout;

/**
 * Jazzer fuzz targets of the file readers, one method each. {@code mvn verify} runs them in regression mode over the
 * corpus in {@code src/test/resources/io/github/vcnn/fuzz/ParserFuzzTestInputs/<method>/}; {@code ./vcnn fuzz [SECONDS]}
 * (JAZZER_FUZZ=1, one target per JVM) fuzzes each for a bounded time. NOTES.md ("Fuzzing") has the figures.
 *
 * <p>Adding a target is one method here: {@code @FuzzTest @Timeout(10) void name(byte[] input)} that calls
 * {@link Fuzzing#expectOnlyDocumentedFailures} with the parser (plus, optionally, seed files in its corpus folder).
 */
class ParserFuzzTest {

    /** Safetensors: what is allocated is at most what the file holds (plus the header decoded to chars). */
    @FuzzTest(maxDuration = "60s")
    @Timeout(10)
    void safetensors(byte[] input) {
        assertParsedOrExplained(Fuzzing.expectOnlyDocumentedFailures(input, 16, bytes -> SafeTensors.parse(bytes, "fuzz.safetensors")));
    }

    /** IDX images, raw or gzip (gzip expands by at most ~1032x; the buffer grows with what was decompressed). */
    @FuzzTest(maxDuration = "60s")
    @Timeout(10)
    void idxImages(byte[] input) {
        assertParsedOrExplained(Fuzzing.expectOnlyDocumentedFailures(input, 4 * 1100, bytes -> Idx.parseImages(bytes, "fuzz-images.idx")));
    }

    /** IDX labels, raw or gzip; labels are ints, four bytes per stored byte. */
    @FuzzTest(maxDuration = "60s")
    @Timeout(10)
    void idxLabels(byte[] input) {
        assertParsedOrExplained(Fuzzing.expectOnlyDocumentedFailures(input, 8 * 1100, bytes -> Idx.parseLabels(bytes, "fuzz-labels.idx")));
    }

    /**
     * The ONNX importer (protobuf decoding, attribute and initializer checks, shape inference): a refused model is an
     * OnnxFormatException (IOException) or OnnxImportException (IllegalArgumentException); tensors are sized from
     * the data the file holds, so allocation stays proportional to the input.
     */
    @FuzzTest(maxDuration = "60s")
    @Timeout(10)
    void onnxImporter(byte[] input) {
        assertParsedOrExplained(Fuzzing.expectOnlyDocumentedFailures(input, 64, bytes -> OnnxImporter.read(bytes, "fuzz.onnx", java.util.Map.of())));
    }

    /** Accepted bytes give a value; refused ones an exception whose message says why (the CLI's one line). */
    private static void assertParsedOrExplained(Fuzzing.Outcome o) {
        if (o.refusal() == null) {
            org.junit.jupiter.api.Assertions.assertNotNull(o.value(), "accepted input but no value");
        } else {
            String m = o.message();
            org.junit.jupiter.api.Assertions.assertTrue(m != null && !m.isBlank(), () -> "refused without a message: " + o.refusal());
        }
    }
}
