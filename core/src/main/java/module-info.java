/**
 * vcnn-core: CNN inference and training kernels in pure Java on the Vector API, the layer API, training and the
 * inference graph compiler. It needs nothing beyond the JDK.
 *
 * <p>The incubator module is {@code requires static}: the library loads without it and falls back to plain-Java
 * kernels ({@link io.github.vcnn.kernels.Kernels}). On the module path, {@code --add-modules jdk.incubator.vector}
 * resolves it and this module then reads it, exactly as on the class path. Not exported: the SIMD convolution's
 * internals ({@code kernels.simd.conv}, {@code kernels.simd.conv.gen}) and the JSON reader/writer
 * ({@code io.internal}).
 */
module io.github.vcnn.core {
    requires static jdk.incubator.vector;
    requires java.management;

    exports io.github.vcnn.exec;
    exports io.github.vcnn.kernels;
    exports io.github.vcnn.kernels.scalar;
    exports io.github.vcnn.kernels.auto;
    exports io.github.vcnn.kernels.simd;
    exports io.github.vcnn.io;
    exports io.github.vcnn.nn;
    exports io.github.vcnn.train;
    exports io.github.vcnn.graph;
}
