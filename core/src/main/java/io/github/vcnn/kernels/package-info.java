/**
 * The kernel API: one parameter record per op ({@link io.github.vcnn.kernels.ConvParams},
 * {@link io.github.vcnn.kernels.PoolParams}, {@link io.github.vcnn.kernels.DenseParams}), one interface per
 * op family, and {@link io.github.vcnn.kernels.Kernels} which picks the implementation once.
 *
 * <p>Everything takes plain {@code float[]} plus an offset, NCHW activations and {@code [K][C/groups][R][S]}
 * weights, so other frameworks can call the kernels without adopting vcnn's types. Kernels never keep
 * state between calls and may be called from many threads at once. Bad arguments give an
 * {@link java.lang.IllegalArgumentException} that names the argument and the shapes, before anything is written.
 */
package io.github.vcnn.kernels;
