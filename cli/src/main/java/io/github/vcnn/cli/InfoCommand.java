package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine.Command;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code vcnn info}: which kernels this JVM uses and why: the Vector API module, the SIMD species, the JIT. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints the JVM, the CPU count, the JIT (is C2 on), the Vector API module and species, and the kernel variant chosen and why.")
public final class InfoCommand implements Callable<Integer> {
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Override
    public Integer call() {
        System.out.println("java      " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.home") + ")");
        System.out.println("cpus      " + Runtime.getRuntime().availableProcessors());
        System.out.println("pool      " + WorkerPool.defaultThreads() + " threads, the caller included (set with -D" + WorkerPool.THREADS_PROPERTY + "=N)");
        Jit jit = jit();
        System.out.println("jit       " + jit.describe());
        boolean module = ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
        System.out.println("vector    " + (module ? "module " + VECTOR_MODULE + " present (in the boot layer)"
                : "module " + VECTOR_MODULE + " absent: start java with " + Kernels.ENABLE_HINT));
        if (Kernels.simdAvailable()) {
            System.out.println("species   " + species());
            System.out.println("conv tile " + tileShape() + " (pixels x channel vectors; override with -Dvcnn.conv.tile=5x2|6x2|14x2)");
        } else if (module) {
            System.out.println("species   unknown: " + simdProblem());
        }
        KernelProvider k = Kernels.get();
        System.out.println("kernels   " + k.name() + ": " + why(k, jit) + " (override with -D" + Kernels.PROPERTY + "=scalar|auto|simd)");
        System.out.println("available " + Kernels.available().stream().map(KernelProvider::name).toList());
        if (!Kernels.simdAvailable()) System.out.println("simd      disabled: start java with " + Kernels.ENABLE_HINT);
        return 0;
    }

    /** Why {@link Kernels#get()} chose {@code k}, by the rules of {@link Kernels}. */
    static String why(KernelProvider k, Jit jit) {
        String forced = System.getProperty(Kernels.PROPERTY);
        boolean isForced = forced != null && !forced.isBlank();
        if (isForced && forced.trim().toLowerCase(Locale.ROOT).equals(k.name())) return "forced by -D" + Kernels.PROPERTY + "=" + forced;
        String prefix = isForced ? "-D" + Kernels.PROPERTY + "=" + forced + " ignored ("
                + (List.of("scalar", "auto", "simd").contains(forced.trim().toLowerCase(Locale.ROOT)) ? "the SIMD kernels are unavailable" : "no such variant")
                + "); " : "";
        if (k.name().equals("simd")) return prefix + "the Vector API module is present and C2 is on";
        if (!Kernels.simdAvailable()) return prefix + "the Vector API module is not enabled (" + simdProblem() + ")";
        if (!jit.c2) return prefix + "the Vector API module is present but C2 is off (" + jit.reason + "): without C2 its vectors are slow objects";
        return prefix + "the default choice";
    }

    private static String simdProblem() {
        try {
            Kernels.simd();
            return "none";
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** e.g. "FloatVector SPECIES_256: 8 float lanes (256 bits), the preferred species of this CPU". */
    static String species() {
        try {
            Class<?> fv = Class.forName(VECTOR_MODULE + ".FloatVector");
            Object s = fv.getField("SPECIES_PREFERRED").get(null);
            Class<?> vs = Class.forName(VECTOR_MODULE + ".VectorSpecies");
            int lanes = (Integer) vs.getMethod("length").invoke(s);
            int bits = (Integer) vs.getMethod("vectorBitSize").invoke(s);
            return "FloatVector SPECIES_" + bits + ": " + lanes + " float lanes (" + bits + " bits), the preferred species of this CPU";
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    private static String tileShape() {
        try {
            return (String) Class.forName("io.github.vcnn.kernels.simd.SimdConv").getMethod("tileShape").invoke(null);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    /** Whether HotSpot's C2 compiler runs, and what turned it off (the rules {@link Kernels} applies, with the flags' sources). */
    record Jit(boolean c2, String reason, String compiler) {
        String describe() {
            return (c2 ? "C2 on" : "C2 off: " + reason) + (compiler == null ? "" : " (" + compiler + ")");
        }
    }

    static Jit jit() {
        String compiler = null;
        try {
            var mx = ManagementFactory.getCompilationMXBean();
            compiler = mx == null ? "no JIT compiler" : mx.getName();
        } catch (RuntimeException | LinkageError e) {
            // no management module
        }
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) return new Jit(false, "interpreter only (-Xint)", compiler);
        List<String> off = new ArrayList<>();
        try {
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-XX:TieredStopAtLevel=") && !arg.endsWith("=4")) off.add(arg + " (C1 only)");
                if (arg.equals("-Xint") || arg.equals("-XX:-UseCompiler")) off.add(arg);
            }
        } catch (RuntimeException | LinkageError e) {
            // no management module: the flags below, else assume the default server VM
        }
        if (off.isEmpty()) off.addAll(hotSpotFlags());
        if (!off.isEmpty()) return new Jit(false, String.join(", ", off), compiler);
        return new Jit(true, "", compiler);
    }

    /** The HotSpot flags that turn C2 off, through the diagnostic MXBean (flags set in JAVA_TOOL_OPTIONS or a flags file included). */
    private static List<String> hotSpotFlags() {
        List<String> off = new ArrayList<>();
        try {
            var hs = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (hs == null) return off;
            if ("false".equals(hs.getVMOption("UseCompiler").getValue())) off.add("-XX:-UseCompiler");
            var level = hs.getVMOption("TieredStopAtLevel");
            if ("true".equals(hs.getVMOption("TieredCompilation").getValue()) && !"4".equals(level.getValue())) {
                off.add("-XX:TieredStopAtLevel=" + level.getValue() + " (C1 only, set by " + level.getOrigin().toString().toLowerCase(Locale.ROOT) + ")");
            }
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or no jdk.management: the command-line check above is all there is
        }
        return off;
    }
}
