package io.github.vcnn.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * The one seed of the randomized tests: {@code -Dvcnn.test.seed=N} to replay a run, else a fresh one per JVM.
 * Tests that draw random cases use {@link #SEED} (mixed with a per-test salt where they need several streams) and
 * {@code @ExtendWith(TestSeed.Report.class)}, which appends the seed and the replay flag to every failure message.
 */
public final class TestSeed {
    public static final String PROPERTY = "vcnn.test.seed";
    public static final long SEED = Long.getLong(PROPERTY, System.nanoTime() ^ System.identityHashCode(TestSeed.class));

    static {
        System.out.println("randomized tests: " + replay());
    }

    private TestSeed() {
    }

    /** {@code "seed N (replay with -Dvcnn.test.seed=N)"}. */
    public static String replay() {
        return "seed " + SEED + " (replay with -D" + PROPERTY + "=" + SEED + ")";
    }

    /** Appends {@link #replay()} to the message of any failure escaping a test. */
    public static final class Report implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable t) throws Throwable {
            if (t instanceof TestAbortedException || (t.getMessage() != null && t.getMessage().contains("-D" + PROPERTY + "="))) throw t;
            AssertionError e = new AssertionError((t.getMessage() == null ? t.toString() : t.getMessage()) + " [" + replay() + "]", t);
            e.setStackTrace(t.getStackTrace());
            throw e;
        }
    }
}
