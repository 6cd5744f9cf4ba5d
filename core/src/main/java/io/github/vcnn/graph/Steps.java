package io.github.vcnn.graph;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Layout;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.PackedDenseWeights;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * The step implementations. Kernel steps call the NCHW entry points of {@link KernelProvider}; the others are plain
 * loops for what no kernel covers (broadcasting, transposes, strided softmax, dilated pooling). Value ids are resolved
 * through the {@link Frame} on every call, so one step serves every thread.
 */
final class Steps {
    private Steps() {
    }

    /** Applies an activation no epilogue can express, in place over {@code len} values. */
    static void applyAct(Act act, float[] y, int off, int len) {
        for (int i = off; i < off + len; i++) y[i] = act.apply(y[i]);
    }

    /**
     * A step that cuts its work into contiguous parts for the intra-op threads: rows of a dense step, planes of a pool
     * (a part's result does not depend on the others, so the bits do not depend on the thread count). The parts' params
     * are made once per thread count and shared by every caller.
     */
    abstract static class SplitStep extends Step {
        /** Part i covers items [start[i], start[i+1]) with {@code params[i]}. */
        record Parts(int count, int[] start, Object[] params) {
        }

        private volatile Parts parts;

        SplitStep(String what) {
            super(what);
        }

        /** The params of the part covering {@code count} items from {@code first}. */
        abstract Object partParams(int first, int count);

        /** Runs part {@code i} of {@code s}. */
        abstract void part(Frame f, Parts s, int i);

        /**
         * Runs the step on the frame's intra-op threads when it has at least {@code perThread} of its {@code items} for
         * each; returns false (nothing done) when it should run whole on the caller.
         */
        final boolean runSplit(Frame f, int items, int perThread) {
            int t = Math.min(WorkerPool.usable(f.threads), items / perThread);
            if (t < 2) return false;
            Parts s = parts;
            if (s == null || s.count() != t) {
                int[] start = new int[t + 1];
                for (int i = 0; i <= t; i++) start[i] = (int) ((long) items * i / t);
                Object[] ps = new Object[t];
                for (int i = 0; i < t; i++) ps[i] = partParams(start[i], start[i + 1] - start[i]);
                parts = s = new Parts(t, start, ps);
            }
            f.split.run(this, f, s);
            return true;
        }
    }

    /** One frame's hand-off of a split step to the pool (reused: no allocation per call). */
    static final class Split implements WorkerPool.RangeTask {
        private SplitStep step;
        private Frame frame;
        private SplitStep.Parts parts;

        void run(SplitStep s, Frame f, SplitStep.Parts p) {
            step = s;
            frame = f;
            parts = p;
            try {
                WorkerPool.shared().runRanges(p.count(), p.count(), p.count(), this);
            } finally {
                step = null;
                frame = null;
                parts = null;
            }
        }

        @Override
        public void run(int index, int from, int to) {
            for (int i = from; i < to; i++) step.part(frame, parts, i);
        }
    }

    static final class Conv extends Step {
        private final ConvKernels k;
        private final ConvParams p;
        private final PackedConvWeights packed;
        private final int x, w, b, y, res;
        private final float[] constBias;
        private final Epilogue ep;
        private final Act post;
        private final Layout xl, yl;

        /** {@code packed} null: weights are the runtime value {@code w} (packed on each call); {@code b} -1: bias constant or none. */
        Conv(String what, KernelProvider kp, ConvParams p, PackedConvWeights packed, int x, int w, float[] constBias, int b, Act act, int y) {
            this(what, kp, p, packed, x, w, constBias, b, -1, act, y, Layout.NCHW, Layout.NCHW);
        }

        /**
         * With the input in layout {@code xl} and the output in {@code yl} (blocked: nChw{L}c of the kernel set), and
         * the value {@code res} (-1: none; in {@code yl}) added before the activation.
         */
        Conv(String what, KernelProvider kp, ConvParams p, PackedConvWeights packed, int x, int w, float[] constBias, int b, int res, Act act,
             int y, Layout xl, Layout yl) {
            super(what);
            this.res = res;
            this.xl = xl;
            this.yl = yl;
            this.k = kp.conv();
            this.p = p;
            this.packed = packed;
            this.x = x;
            this.w = w;
            this.b = b;
            this.constBias = constBias;
            this.y = y;
            Epilogue e = act.epilogue();
            this.ep = e == null ? Epilogue.NONE : e;
            this.post = e == null ? act : null;
        }

        @Override
        void run(Frame f) {
            float[] bias = constBias;
            int bOff = 0;
            if (b >= 0) {
                bias = f.a(b);
                bOff = f.o(b);
            }
            PackedConvWeights pw = packed != null ? packed : k.pack(p, f.a(w), f.o(w));
            float[] r = res >= 0 ? f.a(res) : null;   // no residual, NCHW both sides: the plain NCHW call, by delegation
            k.fwd(p, xl, f.a(x), f.o(x), pw, bias, bOff, r, res >= 0 ? f.o(res) : 0, ep, yl, f.a(y), f.o(y), f.threads);
            if (post != null) applyAct(post, f.a(y), f.o(y), p.outputSize());
        }

        @Override
        String describe() {
            return "conv " + p.r() + "x" + p.s() + " " + p.c() + "->" + p.k() + (p.groups() > 1 ? " groups " + p.groups() : "")
                    + (p.strideH() > 1 || p.strideW() > 1 ? " stride " + p.strideH() : "")
                    + (res >= 0 ? " + residual" : "") + (ep.isIdentity() ? "" : " + " + ep) + (post != null ? " then " + post : "")
                    + (packed == null ? " (weights packed per call)" : " [" + packed.algorithm() + "]")
                    + (xl == Layout.NCHW && yl == Layout.NCHW ? "" : ", " + xl.tag(k.blockLanes()) + " -> " + yl.tag(k.blockLanes()));
        }
    }

    /** A reorder between NCHW and nChw{L}c at an edge of a blocked part of the graph ({@link LayoutPlan}). */
    static final class Reorder extends Step {
        private final ConvKernels k;
        private final boolean toBlocked;
        private final int n, c, hw, lanes, x, y;

        Reorder(String what, KernelProvider kp, boolean toBlocked, int[] shape, int lanes, int x, int y) {
            super(what);
            this.k = kp.conv();
            this.toBlocked = toBlocked;
            this.n = shape[0];
            this.c = shape[1];
            this.hw = shape[2] * shape[3];
            this.lanes = lanes;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            k.reorder(toBlocked, n, c, hw, f.a(x), f.o(x), f.a(y), f.o(y));
        }

        @Override
        String describe() {
            return "reorder " + (toBlocked ? "nchw -> nChw" + lanes + "c" : "nChw" + lanes + "c -> nchw");
        }
    }

    static final class Dense extends SplitStep {
        private final DenseKernels k;
        private final DenseParams p;
        private final PackedDenseWeights w;
        private final float[] bias;
        private final Epilogue ep;
        private final Act post;
        private final int x, y;

        Dense(String what, KernelProvider kp, DenseParams p, PackedDenseWeights w, float[] bias, Act act, int x, int y) {
            super(what);
            this.k = kp.dense();
            this.p = p;
            this.w = w;
            this.bias = bias;
            Epilogue e = act.epilogue();
            this.ep = e == null ? Epilogue.NONE : e;
            this.post = e == null ? act : null;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            if (!runSplit(f, p.batch(), 4)) k.fwd(p, f.a(x), f.o(x), w, bias, 0, ep, f.a(y), f.o(y));
            if (post != null) applyAct(post, f.a(y), f.o(y), p.batch() * p.out());
        }

        @Override
        Object partParams(int first, int count) {
            return new DenseParams(count, p.in(), p.out());
        }

        @Override
        void part(Frame f, Parts s, int i) {
            int r0 = s.start()[i];
            k.fwd((DenseParams) s.params()[i], f.a(x), f.o(x) + r0 * p.in(), w, bias, 0, ep, f.a(y), f.o(y) + r0 * p.out());
        }

        @Override
        String describe() {
            return "dense " + p.in() + "->" + p.out() + " rows " + p.batch() + (ep.isIdentity() ? "" : " + " + ep) + (post != null ? " then " + post : "");
        }
    }

    /** General Gemm through sgemm: {@code y = act(alpha op(A) op(B) + beta C)}, C broadcast into y first. */
    static final class Gemm extends Step {
        private final DenseKernels k;
        private final int m, n, kk;
        private final boolean transA, transB;
        private final float alpha, beta;
        private final int a, b, c, y;
        private final int cRows, cCols;
        private final Act act;

        Gemm(String what, KernelProvider kp, int m, int n, int kk, boolean transA, boolean transB, float alpha, float beta,
             int a, int b, int c, int[] cShape, Act act, int y) {
            super(what);
            this.k = kp.dense();
            this.m = m;
            this.n = n;
            this.kk = kk;
            this.transA = transA;
            this.transB = transB;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.y = y;
            int r = 1, cc = 1;
            if (cShape != null && cShape.length == 2) {
                r = cShape[0];
                cc = cShape[1];
            } else if (cShape != null && cShape.length == 1) {
                cc = cShape[0];
            }
            this.cRows = r;
            this.cCols = cc;
            this.act = act;
        }

        @Override
        void run(Frame f) {
            float[] ya = f.a(y);
            int yo = f.o(y);
            boolean withC = c >= 0 && beta != 0f;
            if (withC) {
                float[] ca = f.a(c);
                int co = f.o(c);
                for (int i = 0; i < m; i++) {
                    int ci = cRows == 1 ? 0 : i;
                    for (int j = 0; j < n; j++) ya[yo + i * n + j] = ca[co + ci * cCols + (cCols == 1 ? 0 : j)];
                }
            }
            k.sgemm(transA, transB, m, n, kk, alpha, f.a(a), f.o(a), transA ? m : kk, f.a(b), f.o(b), transB ? kk : n,
                    withC ? beta : 0f, ya, yo, n);
            if (!act.isNone()) applyAct(act, ya, yo, m * n);
        }

        @Override
        String describe() {
            return "gemm " + m + "x" + kk + " * " + kk + "x" + n + (transA ? " transA" : "") + (transB ? " transB" : "") + (act.isNone() ? "" : " + " + act);
        }
    }

    /** Batched matmul with broadcast batch dimensions: one sgemm per output matrix. */
    static final class MatMul extends Step {
        private final DenseKernels k;
        private final int m, n, kk, count;
        private final int[] outBatch, aStride, bStride;
        private final int a, b, y;

        /** {@code aStride[d]}/{@code bStride[d]}: matrix-index stride of each output batch dimension in A/B (0 when broadcast). */
        MatMul(String what, KernelProvider kp, int m, int n, int kk, int[] outBatch, int[] aStride, int[] bStride, int a, int b, int y) {
            super(what);
            this.k = kp.dense();
            this.m = m;
            this.n = n;
            this.kk = kk;
            this.outBatch = outBatch;
            this.aStride = aStride;
            this.bStride = bStride;
            int c = 1;
            for (int d : outBatch) c *= d;
            this.count = c;
            this.a = a;
            this.b = b;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] aa = f.a(a), ba = f.a(b), ya = f.a(y);
            int ao = f.o(a), bo = f.o(b), yo = f.o(y);
            for (int t = 0; t < count; t++) {
                int rem = t, ai = 0, bi = 0;
                for (int d = outBatch.length - 1; d >= 0; d--) {
                    int idx = rem % outBatch[d];
                    rem /= outBatch[d];
                    ai += idx * aStride[d];
                    bi += idx * bStride[d];
                }
                k.sgemm(false, false, m, n, kk, 1f, aa, ao + ai * m * kk, kk, ba, bo + bi * kk * n, n, 0f, ya, yo + t * m * n, n);
            }
        }

        @Override
        String describe() {
            return "matmul " + count + " x (" + m + "x" + kk + " * " + kk + "x" + n + ")";
        }
    }

    static final class Pool extends SplitStep {
        private final PoolKernels k;
        private final PoolParams p;
        private final boolean max;
        private final int x, y;

        Pool(String what, KernelProvider kp, PoolParams p, boolean max, int x, int y) {
            super(what);
            this.k = kp.pool();
            this.p = p;
            this.max = max;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            if (runSplit(f, p.n() * p.c(), 2)) return;
            if (max) k.maxFwd(p, f.a(x), f.o(x), f.a(y), f.o(y), null, 0);
            else k.avgFwd(p, f.a(x), f.o(x), f.a(y), f.o(y));
        }

        /** Planes (n*c of them: a pool never mixes them) from {@code first}, as one image of {@code count} channels. */
        @Override
        Object partParams(int first, int count) {
            return new PoolParams(1, count, p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(),
                    p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.ceilMode(), p.countIncludePad());
        }

        @Override
        void part(Frame f, Parts s, int i) {
            PoolParams q = (PoolParams) s.params()[i];
            int xo = f.o(x) + s.start()[i] * p.h() * p.w(), yo = f.o(y) + s.start()[i] * p.outH() * p.outW();
            if (max) k.maxFwd(q, f.a(x), xo, f.a(y), yo, null, 0);
            else k.avgFwd(q, f.a(x), xo, f.a(y), yo);
        }

        @Override
        String describe() {
            return (max ? "max" : "avg") + " pool " + p.kh() + "x" + p.kw() + " stride " + p.strideH() + (p.ceilMode() ? " ceil" : "");
        }
    }

    /** Pooling the kernels do not cover (dilation, padding as large as the window): a plain loop with ONNX semantics. */
    static final class RefPool extends Step {
        private final boolean max, countIncludePad;
        private final int planes, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
        private final int x, y;

        RefPool(String what, boolean max, boolean countIncludePad, int planes, int h, int w, int oh, int ow, int[] k, int[] s, int[] pads, int[] d,
                int x, int y) {
            super(what);
            this.max = max;
            this.countIncludePad = countIncludePad;
            this.planes = planes;
            this.h = h;
            this.w = w;
            this.oh = oh;
            this.ow = ow;
            this.kh = k[0];
            this.kw = k[1];
            this.sh = s[0];
            this.sw = s[1];
            this.pt = pads[0];
            this.pl = pads[1];
            this.pb = pads[2];
            this.pr = pads[3];
            this.dh = d[0];
            this.dw = d[1];
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            for (int pl0 = 0; pl0 < planes; pl0++) {
                int xb = xo + pl0 * h * w, yb = yo + pl0 * oh * ow;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        float mx = Float.NEGATIVE_INFINITY;
                        double sum = 0;
                        int valid = 0, inPad = 0;
                        for (int r = 0; r < kh; r++) {
                            int ih = i * sh - pt + r * dh;
                            for (int s = 0; s < kw; s++) {
                                int iw = j * sw - pl + s * dw;
                                if (ih >= -pt && ih < h + pb && iw >= -pl && iw < w + pr) inPad++;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                float v = xa[xb + ih * w + iw];
                                valid++;
                                if (max) {
                                    if (v > mx || Float.isNaN(v)) mx = Float.isNaN(mx) ? mx : v;
                                } else {
                                    sum += v;
                                }
                            }
                        }
                        float out;
                        if (max) out = mx;
                        else out = (float) (sum / Math.max(1, countIncludePad ? inPad : valid));
                        ya[yb + i * ow + j] = out;
                    }
                }
            }
        }

        @Override
        String describe() {
            return (max ? "max" : "avg") + " pool " + kh + "x" + kw + " dilation " + dh + "x" + dw + " (reference loop)";
        }
    }

    static final class GlobalPool extends Step {
        private final PoolKernels k;
        private final boolean max;
        private final int n, c, hw, x, y;

        GlobalPool(String what, KernelProvider kp, boolean max, int n, int c, int hw, int x, int y) {
            super(what);
            this.k = kp.pool();
            this.max = max;
            this.n = n;
            this.c = c;
            this.hw = hw;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            if (max) k.globalMaxFwd(n, c, hw, f.a(x), f.o(x), f.a(y), f.o(y));
            else k.globalAvgFwd(n, c, hw, f.a(x), f.o(x), f.a(y), f.o(y));
        }

        @Override
        String describe() {
            return "global " + (max ? "max" : "avg") + " pool over " + hw;
        }
    }

    static final class Unary extends Step {
        private final ActivationKernels k;
        private final Epilogue ep;
        private final Act act;
        private final int len, x, y;

        Unary(String what, KernelProvider kp, Act act, int len, int x, int y) {
            super(what);
            this.k = kp.activation();
            this.ep = act.epilogue();
            this.act = act;
            this.len = len;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            if (ep != null) {
                k.fwd(ep, xa, xo, ya, yo, len);
            } else {
                for (int i = 0; i < len; i++) ya[yo + i] = act.apply(xa[xo + i]);
            }
        }

        @Override
        String describe() {
            return act + (ep == null ? " (plain loop)" : "");
        }
    }

    /** Clip with bounds read at run time from scalar values ({@code -1}: unbounded). */
    static final class Clip extends Step {
        private final int len, x, lo, hi, y;

        Clip(String what, int len, int x, int lo, int hi, int y) {
            super(what);
            this.len = len;
            this.x = x;
            this.lo = lo;
            this.hi = hi;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float min = lo < 0 ? Float.NEGATIVE_INFINITY : f.a(lo)[f.o(lo)];
            float max = hi < 0 ? Float.POSITIVE_INFINITY : f.a(hi)[f.o(hi)];
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            for (int i = 0; i < len; i++) ya[yo + i] = Math.min(Math.max(xa[xo + i], min), max);
        }

        @Override
        String describe() {
            return "clip (bounds at run time)";
        }
    }

    /** Same-shape add or multiply through the kernels; Add + ReLU is the residual kernel. */
    static final class Elementwise extends Step {
        private final ElementwiseKernels k;
        private final boolean add, relu;
        private final Act post;
        private final int len, a, b, y;

        Elementwise(String what, KernelProvider kp, boolean add, Act act, int len, int a, int b, int y) {
            super(what);
            this.k = kp.elementwise();
            this.add = add;
            this.relu = add && act.kind() == io.github.vcnn.kernels.Activation.RELU;
            this.post = relu || act.isNone() ? null : act;
            this.len = len;
            this.a = a;
            this.b = b;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            if (add) k.add(f.a(a), f.o(a), f.a(b), f.o(b), f.a(y), f.o(y), len, relu);
            else k.mul(f.a(a), f.o(a), f.a(b), f.o(b), f.a(y), f.o(y), len);
            if (post != null) applyAct(post, f.a(y), f.o(y), len);
        }

        @Override
        String describe() {
            return (add ? "add" : "mul") + (relu ? " + relu" : "") + (post != null ? " then " + post : "");
        }
    }

    /**
     * Add or multiply with numpy broadcasting: the output is walked in rows of its last dimension, each operand read
     * with stride 1 or 0 along it.
     */
    static final class Broadcast extends Step {
        private final boolean add;
        private final Act act;
        private final int[] outDims, aStrides, bStrides;
        private final int rows, cols, aInner, bInner;
        private final int a, b, y;

        Broadcast(String what, boolean add, Act act, int[] outDims, int[] aShape, int[] bShape, int a, int b, int y) {
            super(what);
            this.add = add;
            this.act = act;
            this.outDims = outDims.length == 0 ? new int[]{1} : outDims;
            this.aStrides = strides(aShape, this.outDims);
            this.bStrides = strides(bShape, this.outDims);
            int last = this.outDims.length - 1;
            this.cols = this.outDims[last];
            this.rows = (int) (Tensor.elements(this.outDims) / cols);
            this.aInner = aStrides[last];
            this.bInner = bStrides[last];
            this.a = a;
            this.b = b;
            this.y = y;
        }

        /** Element strides of {@code shape} along each output dimension, 0 where it is broadcast. */
        private static int[] strides(int[] shape, int[] out) {
            int[] st = new int[out.length];
            int stride = 1;
            for (int i = out.length - 1; i >= 0; i--) {
                int si = i - (out.length - shape.length);
                int d = si >= 0 ? shape[si] : 1;
                st[i] = d == 1 ? 0 : stride;
                stride *= d;
            }
            return st;
        }

        @Override
        void run(Frame f) {
            float[] aa = f.a(a), ba = f.a(b), ya = f.a(y);
            int ao = f.o(a), bo = f.o(b), yo = f.o(y);
            int last = outDims.length - 1;
            for (int r = 0; r < rows; r++) {
                int rem = r, ai = ao, bi = bo;
                for (int d = last - 1; d >= 0; d--) {
                    int idx = rem % outDims[d];
                    rem /= outDims[d];
                    ai += idx * aStrides[d];
                    bi += idx * bStrides[d];
                }
                int yr = yo + r * cols;
                if (add) {
                    for (int j = 0; j < cols; j++) ya[yr + j] = aa[ai + j * aInner] + ba[bi + j * bInner];
                } else {
                    for (int j = 0; j < cols; j++) ya[yr + j] = aa[ai + j * aInner] * ba[bi + j * bInner];
                }
                if (!act.isNone()) applyAct(act, ya, yr, cols);
            }
        }

        @Override
        String describe() {
            return (add ? "add" : "mul") + " (broadcast)" + (act.isNone() ? "" : " + " + act);
        }
    }

    /** Inference batch norm {@code y = x * scale[c] + shift[c]}; constant parameters are pre-combined, runtime ones read per call. */
    static final class BatchNorm extends Step {
        private final int n, c, inner;
        private final float[] scale, shift;
        private final int s, bias, mean, var, x, y;
        private final float eps;

        BatchNorm(String what, int n, int c, int inner, float[] scale, float[] shift, int s, int bias, int mean, int var, float eps, int x, int y) {
            super(what);
            this.n = n;
            this.c = c;
            this.inner = inner;
            this.scale = scale;
            this.shift = shift;
            this.s = s;
            this.bias = bias;
            this.mean = mean;
            this.var = var;
            this.eps = eps;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            for (int ch = 0; ch < c; ch++) {
                float sc, sh;
                if (scale != null) {
                    sc = scale[ch];
                    sh = shift[ch];
                } else {
                    double g = f.a(s)[f.o(s) + ch] / Math.sqrt((double) f.a(var)[f.o(var) + ch] + eps);
                    sc = (float) g;
                    sh = (float) (f.a(bias)[f.o(bias) + ch] - f.a(mean)[f.o(mean) + ch] * g);
                }
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * inner;
                    for (int e = 0; e < inner; e++) ya[yo + base + e] = xa[xo + base + e] * sc + sh;
                }
            }
        }

        @Override
        String describe() {
            return "batch norm (per-channel scale and shift)";
        }
    }

    /** Softmax / log-softmax over the last (or a coerced) axis through the kernels. */
    static final class Softmax extends Step {
        private final SoftmaxKernels k;
        private final boolean log;
        private final int rows, cols, x, y;

        Softmax(String what, KernelProvider kp, boolean log, int rows, int cols, int x, int y) {
            super(what);
            this.k = kp.softmax();
            this.log = log;
            this.rows = rows;
            this.cols = cols;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            if (log) k.logSoftmax(rows, cols, f.a(x), f.o(x), f.a(y), f.o(y));
            else k.softmax(rows, cols, f.a(x), f.o(x), f.a(y), f.o(y));
        }

        @Override
        String describe() {
            return (log ? "log-softmax" : "softmax") + " " + rows + " rows of " + cols;
        }
    }

    /** Softmax along an inner axis: {@code [outer][n][inner]}, normalised over n with stride inner. */
    static final class StridedSoftmax extends Step {
        private final boolean log;
        private final int outer, n, inner, x, y;

        StridedSoftmax(String what, boolean log, int outer, int n, int inner, int x, int y) {
            super(what);
            this.log = log;
            this.outer = outer;
            this.n = n;
            this.inner = inner;
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int base = o * n * inner + i;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) max = Math.max(max, xa[xo + base + j * inner]);
                    double sum = 0;
                    for (int j = 0; j < n; j++) sum += Math.exp(xa[xo + base + j * inner] - max);
                    if (log) {
                        float lse = (float) Math.log(sum);
                        for (int j = 0; j < n; j++) ya[yo + base + j * inner] = xa[xo + base + j * inner] - max - lse;
                    } else {
                        for (int j = 0; j < n; j++) ya[yo + base + j * inner] = (float) (Math.exp(xa[xo + base + j * inner] - max) / sum);
                    }
                }
            }
        }

        @Override
        String describe() {
            return (log ? "log-softmax" : "softmax") + " along a strided axis (plain loop)";
        }
    }

    static final class Transpose extends Step {
        private final int[] outDims, inStrides;
        private final int size, x, y;

        /** {@code inStrides[d]}: input element stride of output dimension d. */
        Transpose(String what, int[] outDims, int[] inStrides, int x, int y) {
            super(what);
            this.outDims = outDims;
            this.inStrides = inStrides;
            this.size = (int) Tensor.elements(outDims);
            this.x = x;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] xa = f.a(x), ya = f.a(y);
            int xo = f.o(x), yo = f.o(y);
            int r = outDims.length;
            if (r == 0) {
                ya[yo] = xa[xo];
                return;
            }
            int last = outDims[r - 1], lastStride = inStrides[r - 1];
            for (int row = 0; row < size / last; row++) {
                int rem = row, src = xo;
                for (int d = r - 2; d >= 0; d--) {
                    int idx = rem % outDims[d];
                    rem /= outDims[d];
                    src += idx * inStrides[d];
                }
                int dst = yo + row * last;
                for (int j = 0; j < last; j++) ya[dst + j] = xa[src + j * lastStride];
            }
        }

        @Override
        String describe() {
            return "transpose";
        }
    }

    /** Concatenation: for each of {@code outer} blocks, each input's {@code chunk[i]} floats in turn. */
    static final class Concat extends Step {
        private final int outer;
        private final int[] chunk, xs;
        private final int total, y;

        Concat(String what, int outer, int[] chunk, int[] xs, int y) {
            super(what);
            this.outer = outer;
            this.chunk = chunk;
            this.xs = xs;
            int t = 0;
            for (int c : chunk) t += c;
            this.total = t;
            this.y = y;
        }

        @Override
        void run(Frame f) {
            float[] ya = f.a(y);
            int yo = f.o(y);
            int at = 0;
            for (int i = 0; i < xs.length; i++) {
                float[] xa = f.a(xs[i]);
                int xo = f.o(xs[i]);
                int c = chunk[i];
                for (int o = 0; o < outer; o++) System.arraycopy(xa, xo + o * c, ya, yo + o * total + at, c);
                at += c;
            }
        }

        @Override
        String describe() {
            return "concat of " + xs.length;
        }
    }
}
