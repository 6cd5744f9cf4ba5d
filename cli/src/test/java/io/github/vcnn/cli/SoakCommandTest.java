package io.github.vcnn.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn soak}, briefly: the report lines, every prediction equal to the serial one, one-line usage errors. */
class SoakCommandTest {

    @Test
    void shortSoakReportsEveryIntervalAndTheVerdicts() throws Exception {
        OnnxCommandsTest.Run r = OnnxCommandsTest.run("soak", BenchOnnxCommandTest.leakyRelu().toString(), "--threads", "3", "--seconds", "0.6",
                "--interval", "0.3", "--warmup", "0.1");
        assertEquals(0, r.exit(), r.err().toString());
        assertTrue(r.out().get(0).startsWith("soak test_leakyrelu: 3 threads, batch 1"), r.out().get(0));
        long intervals = r.out().stream().filter(l -> l.matches("t=\\d+ s: \\d+ calls .*median \\d+\\.\\d+ ms, p99 \\d+\\.\\d+ ms, heap after GC .*mismatches 0")).count();
        assertEquals(2, intervals, r.out().toString());
        assertTrue(r.out().get(r.out().size() - 2).matches("overall: \\d+ calls .*p99/median \\d+\\.\\d+ \\(<= 1\\.5: (yes|no)\\)"), r.out().toString());
        assertTrue(r.last().endsWith("mismatches against serial 0"), r.last());
    }

    @Test
    void quantilesComeFromTheHistogram() {
        long[] h = new long[2000];
        h[0] = 50;   // about 1 us
        h[700] = 49; // about 1.06 ms
        h[1000] = 1; // about 21 ms
        assertEquals(0.001, SoakCommand.quantile(h, 0.5), 0.0001);
        assertEquals(1.0e-3 * Math.exp(700.5 * Math.log(1.01)), SoakCommand.quantile(h, 0.99), 1e-9);
        assertEquals(1.0e-3 * Math.exp(1000.5 * Math.log(1.01)), SoakCommand.quantile(h, 1.0), 1e-9);
        assertTrue(Double.isNaN(SoakCommand.quantile(new long[10], 0.5)));
    }

    @Test
    void badOptionsAreOneLine() throws Exception {
        String m = BenchOnnxCommandTest.leakyRelu().toString();
        for (String[] c : new String[][]{{"soak"}, {"soak", m, "--threads", "0"}, {"soak", m, "--seconds", "1", "--interval", "2"}, {"soak", m, "--seconds", "x"}}) {
            OnnxCommandsTest.Run r = OnnxCommandsTest.run(c);
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            assertEquals(1, r.err().size(), String.join(" ", c) + ": " + r.err());
        }
    }
}
