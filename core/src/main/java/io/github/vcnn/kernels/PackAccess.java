package io.github.vcnn.kernels;

import java.util.Set;

/**
 * The capability to build {@link PackedConvWeights} / {@link PackedDenseWeights} and to read or write their arrays:
 * the library's kernels hold it, callers outside the library cannot get it. The packs take it in their constructors
 * and in their raw-array accessors and compare it by reference, so a kernel call costs one compare, not a stack walk.
 *
 * <p>Why a key object and not Java access: the packs are built and read in several packages ({@code kernels.scalar},
 * {@code kernels.auto}, {@code kernels.simd}, ...), so package-private access cannot express "the kernels only", and on
 * the class path there is no module boundary either. Each internal user takes the key once, into a
 * {@code private static final} field ({@code private static final PackAccess KEY = PackAccess.grant();}); {@link #grant}
 * checks its caller with a {@link StackWalker}: the caller must be a class of one of {@link #PACKAGES} (and, when the
 * library runs as the named module {@code io.github.vcnn}, of that module). Everyone else gets an exception, so a pack
 * can only come from a kernel's {@code pack} (or be refreshed by its {@code repack}).
 *
 * <p>Limits, as for any Java-level protection: code that defines classes in these packages on the class path (a split
 * package), or that uses deep reflection on the library, can still reach it; the key keeps honest mistakes and
 * ordinary callers out, it does not sandbox hostile code.
 */
public final class PackAccess {
    /** The packages whose classes may hold the key: the kernel API and its variants, nothing else. */
    static final Set<String> PACKAGES = Set.of(
            "io.github.vcnn.kernels",
            "io.github.vcnn.kernels.scalar",
            "io.github.vcnn.kernels.auto",
            "io.github.vcnn.kernels.simd",
            "io.github.vcnn.kernels.simd.conv");

    /** The only instance; the packs compare the key they are given with it by reference. */
    static final PackAccess KEY = new PackAccess();

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private PackAccess() {
    }

    /**
     * The key, for the library's own kernel classes (call it once, from a static initializer).
     *
     * @throws SecurityException when the caller is not a class of the library's kernel packages
     */
    public static PackAccess grant() {
        Class<?> caller = WALKER.getCallerClass();
        Module library = PackAccess.class.getModule();
        boolean sameModule = !library.isNamed() || caller.getModule() == library;
        if (!sameModule || !PACKAGES.contains(caller.getPackageName())) {
            throw new SecurityException("PackAccess.grant(): " + caller.getName() + " is not one of vcnn's kernel classes; "
                    + "packed weights come only from ConvKernels.pack / DenseKernels.pack");
        }
        return KEY;
    }

    /** Throws unless {@code key} is the key: what the packs' constructors and raw accessors call. */
    static void check(PackAccess key) {
        if (key != KEY) {
            throw new IllegalArgumentException("access (PackAccess key): " + (key == null ? "null" : "not the library's key")
                    + "; packed weights are built and read only by vcnn's kernels (ConvKernels.pack, DenseKernels.pack)");
        }
    }
}
