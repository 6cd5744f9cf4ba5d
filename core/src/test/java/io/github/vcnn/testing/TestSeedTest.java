package io.github.vcnn.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed reporter really adds the replay flag to a failure (and leaves skipped tests alone). */
class TestSeedTest {

    @Test
    void failuresCarryTheSeed() {
        TestSeed.Report report = new TestSeed.Report();
        AssertionError e = assertThrows(AssertionError.class, () -> report.handleTestExecutionException(null, new AssertionError("values differ")));
        assertTrue(e.getMessage().startsWith("values differ [seed " + TestSeed.SEED + " (replay with -Dvcnn.test.seed=" + TestSeed.SEED + ")]"),
                e.getMessage());
        TestAbortedException skipped = new TestAbortedException("no data");
        assertSame(skipped, assertThrows(TestAbortedException.class, () -> report.handleTestExecutionException(null, skipped)));
        assertEquals(Long.getLong(TestSeed.PROPERTY, TestSeed.SEED), TestSeed.SEED);
    }

    private static void assertEquals(long a, long b) {
        org.junit.jupiter.api.Assertions.assertEquals(a, b);
    }
}
