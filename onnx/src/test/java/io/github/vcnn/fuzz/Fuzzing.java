package io.github.vcnn.fuzz;

import java.io.IOException;
import java.lang.management.ManagementFactory;

/**
 * The oracle every fuzz target shares: parsing arbitrary bytes may succeed or fail with a documented exception
 * ({@link IOException} and its subclasses, {@link IllegalArgumentException}); any other exception escapes and is a
 * finding, and so is allocating more than the input justifies. A hang is caught by the {@code @Timeout} on the target
 * (libFuzzer's {@code -timeout} while fuzzing, JUnit's timeout in regression mode).
 */
final class Fuzzing {
    private Fuzzing() {
    }

    /** A parser under test. */
    @FunctionalInterface
    interface Parser {
        Object parse(byte[] input) throws IOException;
    }

    /** Fixed allowance for class initialisation, parser buffers and the like, whatever the input. */
    static final long BASE_ALLOWANCE = 16L << 20;

    private static final java.lang.management.ClassLoadingMXBean CLASS_LOADING = ManagementFactory.getClassLoadingMXBean();

    /** {@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes}, looked up by name (tests run on the class path). */
    private static final java.lang.invoke.MethodHandle ALLOCATED = allocatedBytes();

    private static java.lang.invoke.MethodHandle allocatedBytes() {
        try {
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            return java.lang.invoke.MethodHandles.publicLookup().findVirtual(bean, "getCurrentThreadAllocatedBytes",
                    java.lang.invoke.MethodType.methodType(long.class)).bindTo(ManagementFactory.getThreadMXBean());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this JVM cannot count allocated bytes per thread", e);
        }
    }

    private static long allocated() {
        try {
            return (long) ALLOCATED.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Runs {@code parser} on {@code input}: documented failures pass, anything else is thrown on to the fuzzer, and more
     * than {@link #BASE_ALLOWANCE} + {@code bytesPerInputByte * input.length} bytes allocated by this thread is a finding.
     */
    static Outcome expectOnlyDocumentedFailures(byte[] input, long bytesPerInputByte, Parser parser) {
        long classes = CLASS_LOADING.getTotalLoadedClassCount();
        long before = allocated();
        Outcome outcome;
        try {
            outcome = new Outcome(parser.parse(input), null);
        } catch (IOException | IllegalArgumentException documented) {
            outcome = new Outcome(null, documented);   // a refused input: fine
        }
        long allocated = allocated() - before;
        long allowed = BASE_ALLOWANCE + bytesPerInputByte * input.length;
        // loading (and, while fuzzing, instrumenting) classes allocates in this thread too: such a call is not judged
        boolean warmUp = CLASS_LOADING.getTotalLoadedClassCount() != classes;
        if (!warmUp && before >= 0 && allocated > allowed) {
            throw new AssertionError("allocated " + allocated + " bytes for an input of " + input.length + " bytes (allowed " + allowed + ")");
        }
        return outcome;
    }

    /** What a parser made of an input: a value, or the documented exception that refused it. */
    record Outcome(Object value, Exception refusal) {
        /** A refusal's message, which the CLI prints as its one line. */
        String message() {
            return refusal == null ? null : refusal.getMessage();
        }
    }
}
