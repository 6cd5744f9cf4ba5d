package io.github.vcnn.nn;

import io.github.vcnn.kernels.KernelProvider;

import java.util.function.Function;

/**
 * A layer's weights in the kernels' packed layout, rebuilt lazily (before the next forward pass) once after each
 * change of the weights or of the kernel variant, never on every call. Shared by {@link Conv2d} and {@link Linear}.
 *
 * @param <T> the packed type ({@code PackedConvWeights}, {@code PackedDenseWeights})
 */
final class RepackedWeights<T> {
    private final Function<KernelProvider, T> pack;
    private final Function<T, String> variantOf;
    private volatile T packed;
    private volatile boolean dirty = true;

    /**
     * @param pack      packs the layer's current weights with the given kernels (created once per layer, so
     *                  refreshing allocates nothing but the packed weights themselves)
     * @param variantOf the variant that packed a value, to notice a switch of kernels
     */
    RepackedWeights(Function<KernelProvider, T> pack, Function<T, String> variantOf) {
        this.pack = pack;
        this.variantOf = variantOf;
    }

    /** The weights changed (an optimizer step, initialisation, loading). */
    void invalidate() {
        dirty = true;
    }

    /** Packs again when the weights changed or {@code kernels} is not the variant that packed them. */
    void refresh(KernelProvider kernels) {
        T current = packed;
        if (dirty || current == null || !variantOf.apply(current).equals(kernels.name())) {
            dirty = false;
            packed = pack.apply(kernels);
        }
    }

    /** The packed weights of the last {@link #refresh}. */
    T get() {
        return packed;
    }
}
