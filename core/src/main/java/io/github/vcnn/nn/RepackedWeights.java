package io.github.vcnn.nn;

import io.github.vcnn.kernels.KernelProvider;

/**
 * A layer's weights in the kernels' packed layout, rebuilt lazily (before the next forward pass) once after each
 * change of the weights or of the kernel variant, never on every call. Shared by {@link Conv2d} and {@link Linear}.
 * After a change of the weights the packed object is re-packed in place ({@code ConvKernels.repack},
 * {@code DenseKernels.repack}), so an optimizer step followed by a forward pass allocates nothing; only the first
 * packing and a switch of kernel variant create a new one.
 *
 * @param <T> the packed type ({@code PackedConvWeights}, {@code PackedDenseWeights})
 */
final class RepackedWeights<T> {
    /** How a layer packs its current weights. */
    interface Packer<T> {
        /** A new packing of the current weights by {@code kernels}. */
        T pack(KernelProvider kernels);

        /** Packs the current weights into {@code into} (packed earlier by the same variant), in place. */
        void repack(KernelProvider kernels, T into);

        /** The variant that packed {@code packed}. */
        String variant(T packed);
    }

    private final Packer<T> packer;
    private volatile T packed;
    private volatile boolean dirty = true;

    /** @param packer created once per layer, so refreshing allocates nothing beyond what packing itself needs */
    RepackedWeights(Packer<T> packer) {
        this.packer = packer;
    }

    /** The weights changed (an optimizer step, initialisation, loading). */
    void invalidate() {
        dirty = true;
    }

    /** The layout to pack for changed (a layer's planned shape): the next {@link #refresh} packs anew. */
    void relayout() {
        packed = null;
        dirty = true;
    }

    /** Packs again when the weights changed (in place) or {@code kernels} is not the variant that packed them (anew). */
    void refresh(KernelProvider kernels) {
        T current = packed;
        if (current == null || !packer.variant(current).equals(kernels.name())) {
            dirty = false;
            packed = packer.pack(kernels);
        } else if (dirty) {
            dirty = false;
            packer.repack(kernels, current);
        }
    }

    /** The packed weights of the last {@link #refresh}. */
    T get() {
        return packed;
    }
}
