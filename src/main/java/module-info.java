/**
 * vcnn: CNN inference and training kernels in pure Java on the Vector API.
 *
 * <p>The incubator module is {@code requires static}: the library loads without it and falls
 * back to plain-Java kernels ({@link io.github.vcnn.kernels.Kernels}). The CLI libraries
 * (picocli, progressbar, XChart) are optional too; only the command-line tool needs them.
 */
module io.github.vcnn {
    requires static jdk.incubator.vector;
    requires java.management;
    requires org.eclipse.collections.api;
    requires org.eclipse.collections.impl;
    requires com.fasterxml.jackson.jr.ob;
    requires com.google.protobuf;
    requires com.fasterxml.jackson.core;
    requires static info.picocli;
    requires static me.tongfei.progressbar;
    requires static org.knowm.xchart;
    requires static java.desktop;

    exports io.github.vcnn.exec;
    exports io.github.vcnn.kernels;
    exports io.github.vcnn.kernels.scalar;
    exports io.github.vcnn.kernels.auto;
    exports io.github.vcnn.kernels.simd;
    exports io.github.vcnn.io;
    exports io.github.vcnn.nn;
    exports io.github.vcnn.train;
    exports io.github.vcnn.graph;
    exports io.github.vcnn.onnx;

    opens io.github.vcnn.cli to info.picocli;
}
