package io.github.vcnn.graph;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static shape inference over a {@link Graph} for one batch size, with batch tracking: a value is <em>batched</em>
 * when its dimension 0 is the batch. An operator that mixes samples (Concat on axis 0, a Reshape that moves the
 * batch, a Gemm whose B is a batched input, ...) makes the graph fixed-batch, which {@link Shapes#batchBreak()} reports.
 * Shapes that do not fit an operator give an IllegalArgumentException naming the node, the op and the shapes.
 */
public final class ShapeInference {
    private final Graph g;
    private final int batch;
    private final int declared;
    private final Map<String, int[]> dims = new HashMap<>();
    private final Set<String> batched = new HashSet<>();
    private String batchBreak;

    private ShapeInference(Graph g, int batch) {
        this.g = g;
        this.batch = batch;
        this.declared = g.declaredBatch();
    }

    /** The shapes of every value with every batched input's dimension 0 set to {@code batch}. */
    public static Shapes infer(Graph g, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        ShapeInference s = new ShapeInference(g, batch);
        s.run();
        return new Shapes(batch, s.dims, s.batched, s.batchBreak);
    }

    /** The shapes at the batch the graph declares. */
    public static Shapes infer(Graph g) {
        return infer(g, g.declaredBatch());
    }

    private void run() {
        for (Map.Entry<String, Tensor> c : g.constants().entrySet()) dims.put(c.getKey(), c.getValue().shape());
        for (Graph.Input in : g.inputs()) {
            if (in.type() != Tensor.Type.FLOAT) {
                throw new IllegalArgumentException("graph input '" + in.name() + "' is " + in.type() + ": integer inputs only feed shapes,"
                        + " which must be static; bind it to a constant (Graph.bind) before compiling");
            }
            int[] s = in.shape();
            if (s.length > 0) {
                if (!in.symbolicBatch() && s[0] != declared) {
                    breakBatch("graph input '" + in.name() + "' has " + s[0] + " in dimension 0 where the first input has " + declared);
                }
                if (in.symbolicBatch() || s[0] == declared) {
                    s[0] = batch;
                    batched.add(in.name());
                }
            }
            dims.put(in.name(), s);
        }
        for (Node n : g.nodes()) {
            try {
                node(n);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(n.describe() + ": tensor too large", e);
            }
        }
    }

    private void breakBatch(String why) {
        if (batchBreak == null) batchBreak = why;
    }

    private int[] in(Node n, int i) {
        String v = n.input(i);
        if (v.isEmpty()) return null;
        int[] d = dims.get(v);
        if (d == null) throw new IllegalArgumentException(n.describe() + ": input '" + v + "' has no shape");
        return d;
    }

    private int[] required(Node n, int i, String what) {
        int[] d = in(n, i);
        if (d == null) throw new IllegalArgumentException(n.describe() + ": the " + what + " input (#" + i + ") is missing");
        return d;
    }

    private boolean isBatched(Node n, int i) {
        return !n.input(i).isEmpty() && batched.contains(n.input(i));
    }

    private IllegalArgumentException error(Node n, String msg) {
        return new IllegalArgumentException(n.describe() + ": " + msg);
    }

    private void set(Node n, int[] shape, boolean isBatched) {
        for (int d : shape) {
            if (d <= 0) throw error(n, "computes an empty tensor of shape " + Arrays.toString(shape) + " (zero-size tensors are not supported)");
        }
        long size = Tensor.elements(shape);
        if (size > Integer.MAX_VALUE - 64) throw error(n, "output " + Arrays.toString(shape) + " too large for a Java array");
        dims.put(n.output(), shape);
        if (isBatched) batched.add(n.output());
    }

    /** Batch flag of an op that works per sample on its first input and reads the other inputs whole. */
    private boolean perSample(Node n, String why) {
        return perSample(n, why, n.inputs().size());
    }

    /** As {@link #perSample(Node, String)} for the inputs [1, upTo) only (a conv's residual input is batched as its output). */
    private boolean perSample(Node n, String why, int upTo) {
        boolean b = isBatched(n, 0);
        for (int i = 1; i < upTo; i++) {
            if (isBatched(n, i)) breakBatch(n.describe() + ": its input '" + n.input(i) + "' (" + why + ") would vary with the batch");
        }
        return b;
    }

    private void node(Node n) {
        switch (n.op()) {
            case Op.Conv c -> conv(n, c);
            case Op.Pool p -> pool(n, p);
            case Op.GlobalPool gp -> {
                int[] x = required(n, 0, "X");
                if (x.length < 3) throw error(n, "needs an input [N, C, spatial...], got " + Arrays.toString(x));
                int[] y = x.clone();
                for (int i = 2; i < y.length; i++) y[i] = 1;
                set(n, y, perSample(n, ""));
            }
            case Op.Gemm gm -> gemm(n, gm);
            case Op.MatMul mm -> matmul(n);
            case Op.Binary b -> binary(n);
            case Op.Unary u -> set(n, required(n, 0, "X").clone(), isBatched(n, 0));
            case Op.Clip c -> {
                int[] x = required(n, 0, "input");
                for (int i = 1; i <= 2; i++) {
                    int[] b = in(n, i);
                    if (b != null && Tensor.elements(b) != 1) throw error(n, "the " + (i == 1 ? "min" : "max") + " bound must be a scalar, got shape " + Arrays.toString(b));
                }
                set(n, x.clone(), perSample(n, "clip bound"));
            }
            case Op.Flatten f -> {
                int[] x = required(n, 0, "input");
                int axis = f.axis() < 0 ? f.axis() + x.length : f.axis();
                if (axis < 0 || axis > x.length) throw error(n, "axis " + f.axis() + " outside [-" + x.length + ", " + x.length + "] for input " + Arrays.toString(x));
                long outer = 1, inner = 1;
                for (int i = 0; i < axis; i++) outer *= x[i];
                for (int i = axis; i < x.length; i++) inner *= x[i];
                boolean b = isBatched(n, 0);
                if (b && axis == 0) breakBatch(n.describe() + " with axis 0 merges the samples of the batch");
                set(n, new int[]{(int) outer, (int) inner}, b && axis > 0);
            }
            case Op.Reshape r -> reshape(n, r);
            case Op.Transpose t -> {
                int[] x = required(n, 0, "data");
                int[] perm = perm(n, t, x.length);
                int[] y = new int[x.length];
                for (int i = 0; i < y.length; i++) y[i] = x[perm[i]];
                boolean b = isBatched(n, 0);
                if (b && perm[0] != 0) breakBatch(n.describe() + " moves the batch dimension (perm " + Arrays.toString(perm) + ")");
                set(n, y, b && perm[0] == 0);
            }
            case Op.Softmax s -> {
                int[] x = required(n, 0, "input");
                int axis = s.axis() < 0 ? s.axis() + x.length : s.axis();
                if (axis < 0 || axis >= Math.max(1, x.length)) throw error(n, "axis " + s.axis() + " outside the rank of input " + Arrays.toString(x));
                boolean b = isBatched(n, 0);
                if (b && axis == 0) breakBatch(n.describe() + " normalises across the batch (axis 0)");
                set(n, x.clone(), b && axis > 0);
            }
            case Op.BatchNorm bn -> {
                int[] x = required(n, 0, "X");
                if (x.length < 2) throw error(n, "needs an input [N, C, ...], got " + Arrays.toString(x));
                String[] names = {"scale", "B", "mean", "var"};
                for (int i = 1; i <= 4; i++) {
                    int[] p = required(n, i, names[i - 1]);
                    if (p.length != 1 || p[0] != x[1]) throw error(n, names[i - 1] + " must be [" + x[1] + "], got " + Arrays.toString(p));
                }
                set(n, x.clone(), perSample(n, "batch-norm parameter"));
            }
            case Op.Concat c -> concat(n, c);
            case Op.Identity id -> set(n, required(n, 0, "input").clone(), isBatched(n, 0));
        }
    }

    private void conv(Node n, Op.Conv c) {
        int[] x = required(n, 0, "X");
        int[] w = required(n, 1, "W");
        int[] b = in(n, 2);
        if (x.length != 3 && x.length != 4) {
            throw error(n, "supports 1-D and 2-D convolution (input rank 3 or 4), got input " + Arrays.toString(x));
        }
        if (w.length != x.length) throw error(n, "weight " + Arrays.toString(w) + " must have the rank of the input " + Arrays.toString(x));
        int groups = c.groups();
        if (groups < 1 || x[1] % groups != 0 || w[0] % groups != 0) {
            throw error(n, "group " + groups + " must divide the input channels " + x[1] + " and the output channels " + w[0]);
        }
        if (w[1] * groups != x[1]) {
            throw error(n, "weight " + Arrays.toString(w) + " expects " + w[1] * groups + " input channels (group " + groups + "), input " + Arrays.toString(x) + " has " + x[1]);
        }
        int[] k = x.length == 3 ? new int[]{1, w[2]} : new int[]{w[2], w[3]};
        if (c.kernel() != null && !Arrays.equals(c.kernel(), k)) {
            throw error(n, "kernel_shape " + Arrays.toString(c.kernel()) + " does not match the weight " + Arrays.toString(w));
        }
        if (b != null && (b.length != 1 || b[0] != w[0])) throw error(n, "bias must be [" + w[0] + "], got " + Arrays.toString(b));
        int[] hw = Geometry.spatial(x);
        int[] p = Geometry.pads(c.autoPad(), c.pads(), hw[0], hw[1], k, c.strides(), c.dilations());
        int oh = Geometry.convOut(hw[0], p[0], p[2], k[0], c.strides()[0], c.dilations()[0]);
        int ow = Geometry.convOut(hw[1], p[1], p[3], k[1], c.strides()[1], c.dilations()[1]);
        if (oh < 1 || ow < 1) {
            throw error(n, "the (dilated) kernel " + Arrays.toString(k) + " does not fit the padded input " + Arrays.toString(x) + " (pads " + Arrays.toString(p) + ")");
        }
        int[] y = x.length == 3 ? new int[]{x[0], w[0], ow} : new int[]{x[0], w[0], oh, ow};
        if (c.residual()) {
            int[] r = required(n, 3, "residual");
            if (!Arrays.equals(r, y)) throw error(n, "the residual input " + Arrays.toString(r) + " must have the output's shape " + Arrays.toString(y));
            boolean batched = perSample(n, "weight or bias", 3);
            if (isBatched(n, 3) != batched) breakBatch(n.describe() + ": its residual input '" + n.input(3) + "' and its output differ in batching");
            set(n, y, batched);
            return;
        }
        set(n, y, perSample(n, "weight or bias"));
    }

    private void pool(Node n, Op.Pool pl) {
        int[] x = required(n, 0, "X");
        if (x.length != 3 && x.length != 4) throw error(n, "supports 1-D and 2-D pooling (input rank 3 or 4), got input " + Arrays.toString(x));
        int[] hw = Geometry.spatial(x);
        int[] k = pl.kernel();
        int[] p = Geometry.pads(pl.autoPad(), pl.pads(), hw[0], hw[1], k, pl.strides(), pl.dilations());
        int oh = Geometry.poolOut(hw[0], p[0], p[2], k[0], pl.strides()[0], pl.dilations()[0], pl.ceilMode());
        int ow = Geometry.poolOut(hw[1], p[1], p[3], k[1], pl.strides()[1], pl.dilations()[1], pl.ceilMode());
        if (oh < 1 || ow < 1) {
            throw error(n, "the window " + Arrays.toString(k) + " does not fit the padded input " + Arrays.toString(x) + " (pads " + Arrays.toString(p) + ")");
        }
        int[] y = x.length == 3 ? new int[]{x[0], x[1], ow} : new int[]{x[0], x[1], oh, ow};
        set(n, y, isBatched(n, 0));
    }

    private void gemm(Node n, Op.Gemm gm) {
        int[] a = required(n, 0, "A");
        int[] b = required(n, 1, "B");
        int[] c = in(n, 2);
        if (a.length != 2 || b.length != 2) throw error(n, "A and B must be matrices, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
        int m = gm.transA() ? a[1] : a[0], k = gm.transA() ? a[0] : a[1];
        int kb = gm.transB() ? b[1] : b[0], nn = gm.transB() ? b[0] : b[1];
        if (k != kb) {
            throw error(n, "op(A) is " + m + "x" + k + " but op(B) is " + kb + "x" + nn + " (transA=" + gm.transA() + ", transB=" + gm.transB() + ")");
        }
        if (c != null && !unidirectional(c, new int[]{m, nn})) throw error(n, "C " + Arrays.toString(c) + " does not broadcast to [" + m + ", " + nn + "]");
        boolean bt = isBatched(n, 0);
        if (bt && gm.transA()) breakBatch(n.describe() + " with transA=1 reads the batch as its inner dimension");
        if (isBatched(n, 1)) breakBatch(n.describe() + ": B ('" + n.input(1) + "') would vary with the batch");
        if (c != null && isBatched(n, 2) || (c != null && bt && c.length == 2 && c[0] != 1)) {
            breakBatch(n.describe() + ": C " + Arrays.toString(c) + " has one row per sample");
        }
        set(n, new int[]{m, nn}, bt && !gm.transA());
    }

    /** {@code from} broadcasts to {@code to} (numpy rules, one direction). */
    static boolean unidirectional(int[] from, int[] to) {
        if (from.length > to.length) return false;
        for (int i = 0; i < from.length; i++) {
            int f = from[from.length - 1 - i], t = to[to.length - 1 - i];
            if (f != 1 && f != t) return false;
        }
        return true;
    }

    static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] y = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) return null;
            y[i] = Math.max(da, db);
        }
        return y;
    }

    private void binary(Node n) {
        int[] a = required(n, 0, "A");
        int[] b = required(n, 1, "B");
        int[] y = broadcast(a, b);
        if (y == null) throw error(n, "shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
        set(n, y, broadcastBatch(n, y, 2));
    }

    private boolean broadcastBatch(Node n, int[] y, int count) {
        boolean any = false, ok = true;
        for (int i = 0; i < count; i++) {
            int[] s = dims.get(n.input(i));
            if (isBatched(n, i)) {
                any = true;
                if (s.length != y.length) ok = false;
            } else if (s.length == y.length && s.length > 0 && s[0] != 1) {
                ok = false;
            }
        }
        if (any && !ok) breakBatch(n.describe() + " broadcasts a per-sample operand against the batch");
        return any && ok;
    }

    private void matmul(Node n) {
        int[] a = required(n, 0, "A");
        int[] b = required(n, 1, "B");
        int[] a2 = a.length == 1 ? new int[]{1, a[0]} : a;
        int[] b2 = b.length == 1 ? new int[]{b[0], 1} : b;
        if (a2[a2.length - 1] != b2[b2.length - 2]) throw error(n, "inner dimensions differ: " + Arrays.toString(a) + " x " + Arrays.toString(b));
        int[] ba = Arrays.copyOf(a2, a2.length - 2), bb = Arrays.copyOf(b2, b2.length - 2);
        int[] batchDims = broadcast(ba, bb);
        if (batchDims == null) throw error(n, "batch dimensions of " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
        int[] y = Arrays.copyOf(batchDims, batchDims.length + 2);
        y[batchDims.length] = a2[a2.length - 2];
        y[batchDims.length + 1] = b2[b2.length - 1];
        if (a.length == 1) y = remove(y, y.length - 2);
        if (b.length == 1) y = remove(y, y.length - 1);
        boolean bt;
        if (isBatched(n, 0) && !isBatched(n, 1)) {
            bt = a.length >= 2 && a.length == y.length && (b.length <= 2 || b[0] == 1);
        } else if (isBatched(n, 0) && isBatched(n, 1)) {
            bt = a.length >= 3 && a.length == b.length;
        } else {
            bt = false;
        }
        if ((isBatched(n, 0) || isBatched(n, 1)) && !bt) breakBatch(n.describe() + " mixes the samples of the batch");
        set(n, y, bt);
    }

    private static int[] remove(int[] a, int i) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    private void reshape(Node n, Op.Reshape r) {
        int[] x = required(n, 0, "data");
        String shapeName = n.input(1);
        Tensor t = g.constant(shapeName);
        if (t == null) {
            throw error(n, "the target shape '" + shapeName + "' is computed at run time (a dynamic shape); vcnn needs a constant shape"
                    + (g.input(shapeName) != null ? " (bind graph input '" + shapeName + "' to a constant)" : ""));
        }
        if (t.type() != Tensor.Type.INT64 || t.rank() != 1) throw error(n, "the target shape must be a 1-D int64 tensor, got " + t);
        long[] s = t.longsView();
        boolean bt = isBatched(n, 0);
        long perSample = x.length == 0 ? 1 : Tensor.elements(x) / Math.max(1, x[0]);
        // Does the target keep the batch in dimension 0? 0 (copy), the declared batch, or -1 with the rest fixed.
        boolean keeps = false;
        if (bt && s.length >= 1 && x.length >= 1) {
            long rest = 1;
            boolean restFree = false;
            for (int i = 1; i < s.length; i++) {
                if (s[i] == -1) restFree = true;
                else if (s[i] == 0 && !r.allowZero()) rest *= i < x.length ? x[i] : 0;
                else rest *= s[i];
            }
            boolean restFits = restFree ? rest > 0 && perSample % rest == 0 : rest == perSample;
            keeps = restFits && ((s[0] == 0 && !r.allowZero()) || s[0] == declared || (s[0] == -1 && !restFree));
        }
        int[] y = new int[s.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            long d = s[i];
            if (i == 0 && keeps) d = x[0];
            if (d == 0 && !r.allowZero()) {
                if (i >= x.length) throw error(n, "target shape " + Arrays.toString(s) + " copies dimension " + i + " that the input " + Arrays.toString(x) + " lacks");
                d = x[i];
            }
            if (d == -1) {
                if (infer >= 0) throw error(n, "target shape " + Arrays.toString(s) + " has more than one -1");
                infer = i;
                continue;
            }
            if (d <= 0 || d > Integer.MAX_VALUE) throw error(n, "target shape " + Arrays.toString(s) + " has dimension " + d);
            y[i] = (int) d;
            known *= d;
        }
        long total = Tensor.elements(x);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) throw error(n, "cannot reshape " + Arrays.toString(x) + " to " + Arrays.toString(s));
            y[infer] = (int) (total / known);
        } else if (known != total) {
            throw error(n, "cannot reshape " + Arrays.toString(x) + " (" + total + " values) to " + Arrays.toString(s) + " (" + known + ")");
        }
        if (bt && !keeps) breakBatch(n.describe() + " to " + Arrays.toString(s) + " does not keep the batch in dimension 0");
        set(n, y, bt && keeps);
    }

    static int[] perm(Node n, Op.Transpose t, int rank) {
        int[] perm = t.perm();
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        if (perm.length != rank) throw new IllegalArgumentException(n.describe() + ": perm " + Arrays.toString(perm) + " does not fit rank " + rank);
        boolean[] seen = new boolean[rank];
        for (int p : perm) {
            if (p < 0 || p >= rank || seen[p]) throw new IllegalArgumentException(n.describe() + ": perm " + Arrays.toString(perm) + " is not a permutation");
            seen[p] = true;
        }
        return perm;
    }

    private void concat(Node n, Op.Concat c) {
        List<String> ins = n.inputs();
        int[] first = required(n, 0, "first");
        int axis = c.axis() < 0 ? c.axis() + first.length : c.axis();
        if (axis < 0 || axis >= first.length) throw error(n, "axis " + c.axis() + " outside the rank of " + Arrays.toString(first));
        int[] y = first.clone();
        y[axis] = 0;
        int nb = 0;
        for (int i = 0; i < ins.size(); i++) {
            int[] s = required(n, i, "#" + i);
            if (s.length != first.length) throw error(n, "inputs of ranks " + first.length + " and " + s.length);
            for (int d = 0; d < s.length; d++) {
                if (d != axis && s[d] != first[d]) throw error(n, "input shapes " + Arrays.toString(first) + " and " + Arrays.toString(s) + " differ outside axis " + axis);
            }
            y[axis] += s[axis];
            if (isBatched(n, i)) nb++;
        }
        boolean bt = nb == ins.size() && axis > 0;
        if (nb > 0 && !bt) breakBatch(n.describe() + (axis == 0 ? " joins along the batch dimension" : " joins batched and fixed inputs"));
        set(n, y, bt);
    }
}
