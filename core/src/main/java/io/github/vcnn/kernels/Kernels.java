package io.github.vcnn.kernels;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the kernel set once, at class initialisation (as Lucene's VectorizationProvider):
 * {@code simd} when the {@code jdk.incubator.vector} module is readable and the VM compiles with
 * C2, else {@code auto}, with one log line saying how to enable SIMD. {@code -Dvcnn.kernels=scalar|auto|simd}
 * overrides the choice; a value naming no variant, or {@code simd} without the module, is logged as one warning and
 * ignored (the default choice is used), so a bad flag never makes the class unusable. Only an explicit
 * {@link #simd()} / {@link #byName byName("simd")} without the module throws, at that call.
 * Only the {@code simd} package touches the incubator module, and it is loaded by name only after the module was
 * found, so the library runs without it.
 */
public final class Kernels {
    /** System property that forces a variant. */
    public static final String PROPERTY = "vcnn.kernels";
    /** The JVM flag that makes the SIMD kernels available. */
    public static final String ENABLE_HINT = "--add-modules jdk.incubator.vector";

    private static final System.Logger LOG = System.getLogger("io.github.vcnn");
    private static final String SIMD_CLASS = "io.github.vcnn.kernels.simd.SimdKernels";
    private static final KernelProvider SELECTED = select();

    private Kernels() {
    }

    /** The kernel set chosen at start-up. */
    public static KernelProvider get() {
        return SELECTED;
    }

    /** The readable reference kernels (always available). */
    public static KernelProvider scalar() {
        return io.github.vcnn.kernels.scalar.ScalarKernels.INSTANCE;
    }

    /** Plain Java shaped for HotSpot's auto-vectorizer (always available). */
    public static KernelProvider auto() {
        return io.github.vcnn.kernels.auto.AutoKernels.INSTANCE;
    }

    /** True when the Vector API module is readable in this JVM. */
    public static boolean simdAvailable() {
        return Holder.SIMD != null;
    }

    /** The explicit Vector API kernels; throws with the enabling hint when the module is absent. */
    public static KernelProvider simd() {
        if (Holder.SIMD == null) {
            throw new IllegalStateException("SIMD kernels need the Vector API: run java with " + ENABLE_HINT
                    + (Holder.SIMD_PROBLEM == null ? "" : " (" + Holder.SIMD_PROBLEM + ")"));
        }
        return Holder.SIMD;
    }

    /**
     * The variant with that name, case-insensitive: "scalar", "auto" or "simd". An unknown name is an
     * {@link IllegalArgumentException}; "simd" in a JVM without the Vector API module an {@link IllegalStateException}
     * with the enabling hint.
     */
    public static KernelProvider byName(String name) {
        Checks.notNull("kernel variant name", name);
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "scalar" -> scalar();
            case "auto" -> auto();
            case "simd" -> simd();
            default -> throw new IllegalArgumentException("unknown kernel variant '" + name + "': use scalar, auto or simd");
        };
    }

    /** The variants available in this JVM, reference first. */
    public static List<KernelProvider> available() {
        return simdAvailable() ? List.of(scalar(), auto(), simd()) : List.of(scalar(), auto());
    }

    /**
     * Never throws (it runs in this class's static initialiser, where an exception would make every later use of
     * {@code Kernels} fail with {@link NoClassDefFoundError}): a {@code -Dvcnn.kernels} value that names no variant, or
     * names {@code simd} in a JVM without the module, is logged as one warning and the default choice is used instead.
     */
    private static KernelProvider select() {
        String forced;
        try {
            forced = System.getProperty(PROPERTY);
        } catch (RuntimeException e) {
            forced = null;
        }
        String ignored = null;
        if (forced != null && !forced.isBlank()) {
            switch (forced.trim().toLowerCase(Locale.ROOT)) {
                case "scalar" -> {
                    return logForced(scalar());
                }
                case "auto" -> {
                    return logForced(auto());
                }
                case "simd" -> {
                    if (Holder.SIMD != null) return logForced(Holder.SIMD);
                    ignored = "-D" + PROPERTY + "=" + forced + " ignored: the SIMD kernels need " + ENABLE_HINT
                            + (Holder.SIMD_PROBLEM == null ? "" : " (" + Holder.SIMD_PROBLEM + ")");
                }
                default -> ignored = "-D" + PROPERTY + "=" + forced + " ignored: no such kernel variant (use scalar, auto or simd)";
            }
        }
        try {
            if (Holder.SIMD != null && hasC2()) {
                if (ignored != null) LOG.log(System.Logger.Level.WARNING, "vcnn: " + ignored + "; using simd");
                else LOG.log(System.Logger.Level.DEBUG, "vcnn kernels: simd");
                String advice = stripMiningAdvice();
                if (advice != null) LOG.log(System.Logger.Level.INFO, advice);
                return Holder.SIMD;
            }
        } catch (RuntimeException | LinkageError e) {
            // fall through to the plain-Java kernels
        }
        String why = Holder.SIMD == null ? "the jdk.incubator.vector module is not enabled" : "this JVM has no C2 compiler";
        if (ignored != null) {
            LOG.log(System.Logger.Level.WARNING, "vcnn: " + ignored + "; using the auto-vectorized Java kernels because " + why);
        } else {
            LOG.log(System.Logger.Level.INFO, "vcnn: using the auto-vectorized Java kernels because " + why
                    + "; start java with " + ENABLE_HINT + " (and C2) for the faster SIMD kernels");
        }
        return auto();
    }

    private static KernelProvider logForced(KernelProvider p) {
        LOG.log(System.Logger.Level.DEBUG, "vcnn kernels: " + p.name() + " (forced by -D" + PROPERTY + ")");
        return p;
    }

    /**
     * One line of advice when this JVM runs C2 without loop strip mining, else null. HotSpot strip-mines counted loops by
     * default only with G1, ZGC and Shenandoah; under ParallelGC and SerialGC C2 scheduled the Winograd GEMM tile so that
     * it spilled two accumulators on AVX2 and ran 1.7x slower (NOTES.md, session 4). {@code -XX:+UseCountedLoopSafepoints}
     * on the command line (or in JAVA_TOOL_OPTIONS) counts as the fix.
     */
    static String stripMiningAdvice() {
        try {
            String gc = null;
            for (java.lang.management.GarbageCollectorMXBean b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                String n = b.getName();
                if (n.startsWith("PS ")) gc = "ParallelGC";
                else if (n.equals("Copy") || n.equals("MarkSweepCompact")) gc = "SerialGC";
            }
            if (gc == null) return null;
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.equals("-XX:+UseCountedLoopSafepoints")) return null;
            }
            return "vcnn: with " + gc + " C2 does not strip-mine loops, which made the SIMD Winograd kernels up to 1.7x slower;"
                    + " add -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000 (or use G1, the default collector)";
        } catch (RuntimeException | LinkageError e) {
            return null;   // no management beans (a restricted runtime): no advice
        }
    }

    /** C2 is what makes the Vector API fast; without it (interpreter, C1 only) its objects are real allocations. */
    private static boolean hasC2() {
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) return false;
        try {
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-XX:TieredStopAtLevel=") && !arg.endsWith("=4")) return false;
                if (arg.equals("-Xint") || arg.equals("-XX:-UseCompiler")) return false;
            }
        } catch (RuntimeException | LinkageError e) {
            // no management module: assume the default server VM
        }
        return true;
    }

    /** Lazily tries the simd package so that scalar()/auto() never touch it. */
    private static final class Holder {
        static final KernelProvider SIMD;
        static final String SIMD_PROBLEM;

        static {
            KernelProvider simd = null;
            String problem = null;
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                try {
                    simd = (KernelProvider) Class.forName(SIMD_CLASS).getField("INSTANCE").get(null);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    problem = "could not load the SIMD kernels: " + cause;
                }
            } else {
                problem = "module jdk.incubator.vector not in the boot layer";
            }
            SIMD = simd;
            SIMD_PROBLEM = problem;
        }
    }
}
