package org.minidiffusion.core.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Conv2dGeometry;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.core.spi.ReduceOp;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * The one {@link Tensor} implementation: a strided view of a {@code float[]} plus its autograd node.
 *
 * <p>Every public op validates its arguments, calls a backend kernel, and records a {@link Node}
 * whose backward is written with other tensor ops. Backward always runs with recording off.
 *
 * <p>Storage arrays come from {@link BufferPool#allocate} (or {@code allocateZeroed} where the
 * kernel does not write every element), so that a {@code Workspace} can reuse them; all reads go
 * through {@code data()}, which refuses a {@link Storage} the workspace has taken back.
 */
public final class DenseTensor implements Tensor {
    private final Backend backend;
    private final Storage storage;  // shared with views; read through data()
    private final int offset;
    private final int[] dims;
    private final int[] strides;
    private final Shape shape;

    private final Node node;        // null for leaves
    private boolean requiresGrad;
    private DenseTensor grad;       // accumulated gradient of a leaf

    private DenseTensor(Backend backend, Storage storage, int offset, int[] dims, int[] strides, Node node) {
        this.backend = backend;
        this.storage = storage;
        this.offset = offset;
        this.dims = dims;
        this.strides = strides;
        this.shape = Shape.of(dims);
        this.node = node;
        this.requiresGrad = node != null;
    }

    /**
     * Wraps a row-major array as a leaf tensor; the array must not be modified afterwards.
     *
     * @param backend the backend
     * @param data    the values, {@code shape.numel()} of them
     * @param shape   the dims
     * @return the tensor
     */
    public static DenseTensor wrap(Backend backend, float[] data, Shape shape) {
        int[] d = shape.toArray();
        return new DenseTensor(backend, Storage.of(data), 0, d, rowMajorStrides(d), null);
    }

    /**
     * Returns the storage of a tensor, for {@link BufferPool#recycle}.
     *
     * @param t  a tensor
     * @param op the caller, for messages
     * @return its storage
     */
    static Storage storageOf(Tensor t, String op) {
        if (!(t instanceof DenseTensor)) {
            throw new IllegalArgumentException(op + ": unsupported Tensor implementation "
                    + (t == null ? "null" : t.getClass().getName()));
        }
        DenseTensor d = (DenseTensor) t;
        if (d.storage.isRecycled()) {
            throw new IllegalStateException(op + ": the survivor " + d.shape + " was already recycled by an earlier "
                    + "Workspace.recycle; pass it as a survivor to every recycle it must outlive");
        }
        return d.storage;
    }

    // ================================================================== helpers

    static int[] rowMajorStrides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    private static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** Returns the storage array; every read goes through here, so a recycled tensor cannot be read. */
    private float[] data() {
        if (storage.isRecycled()) {
            throw recycled();
        }
        return storage.array();
    }

    /** Returns the storage, for a view; a recycled tensor has no views. */
    private Storage storage() {
        data();
        return storage;
    }

    private IllegalStateException recycled() {
        return new IllegalStateException(tensorOp() + ": this " + shape + " tensor was recycled by Workspace.recycle, "
                + "so its buffer may hold other values now; keep it by passing it to recycle(...) as a survivor, "
                + "or copy its values out with toArray() before the recycle");
    }

    /** Returns the tensor op the caller called: the outermost frame of this class or of Tensor. */
    private static String tensorOp() {
        return StackWalker.getInstance().walk(frames -> frames
                .takeWhile(f -> f.getClassName().equals(DenseTensor.class.getName())
                        || f.getClassName().equals(Tensor.class.getName())
                        || f.getClassName().equals(Backend.class.getName()))
                .reduce((inner, outer) -> outer)
                .map(StackWalker.StackFrame::getMethodName)
                .orElse("tensor"));
    }

    private Kernels k() {
        return backend.kernels();
    }

    private DenseTensor cast(Tensor t, String op) {
        return cast(backend, shape, t, op);
    }

    /** Checks that {@code t} is a tensor of this implementation on {@code expected}. */
    private static DenseTensor cast(Backend expected, Shape left, Tensor t, String op) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": a tensor argument is null");
        }
        if (!(t instanceof DenseTensor)) {
            throw new IllegalArgumentException(op + ": unsupported Tensor implementation " + t.getClass().getName());
        }
        DenseTensor d = (DenseTensor) t;
        if (d.backend != expected) {
            throw new IllegalArgumentException(op + ": operands live on different backends, '" + expected.id()
                    + "' " + left + " and '" + d.backend.id() + "' " + d.shape
                    + "; move one with tensor.to(Backends.get(id))");
        }
        return d;
    }

    /** Returns whether the elements are laid out row-major from {@code offset} without gaps. */
    private boolean isContiguous() {
        int expected = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            if (dims[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= dims[i];
        }
        return true;
    }

    /**
     * Returns the values row-major from index 0: the storage itself when that is already so,
     * else a copy. Callers never write to it.
     */
    float[] values() {
        float[] d = data();
        return isWhole(d) ? d : copyTo(BufferPool.allocate(shape.numel()));
    }

    /** Returns whether {@code d}, this tensor's storage, holds exactly its values row-major. */
    private boolean isWhole(float[] d) {
        return offset == 0 && d.length == shape.numel() && isContiguous();
    }

    /** Writes the values row-major into {@code out}, of {@code numel} floats, and returns it. */
    private float[] copyTo(float[] out) {
        if (out.length > 0) {
            k().copy(dims, data(), offset, strides, out, 0, rowMajorStrides(dims));
        }
        return out;
    }

    private DenseTensor contiguous() {
        return isContiguous() ? this : leaf(values(), dims);
    }

    private DenseTensor leaf(float[] values, int[] newDims) {
        return new DenseTensor(backend, Storage.of(values), 0, newDims, rowMajorStrides(newDims), null);
    }

    /** Creates an op's output, recording it if grad mode is on and an input requires grad. */
    private DenseTensor result(String op, float[] values, int[] newDims, Node.Backward backward, DenseTensor... inputs) {
        return view(op, Storage.of(values), 0, newDims, rowMajorStrides(newDims), backward, inputs);
    }

    private DenseTensor view(String op, Storage viewed, int off, int[] newDims, int[] newStrides,
                             Node.Backward backward, DenseTensor... inputs) {
        boolean record = false;
        if (GradMode.isEnabled()) {
            for (DenseTensor in : inputs) {
                record |= in.requiresGrad;
            }
        }
        Node n = record ? new Node(op, inputs, backward) : null;
        return new DenseTensor(backend, viewed, off, newDims, newStrides, n);
    }

    /** Returns the sum of {@code g} over the dims that broadcasting added to reach {@code target}. */
    private static DenseTensor sumTo(DenseTensor g, Shape target) {
        if (g.shape.equals(target)) {
            return g;
        }
        int lead = g.dims.length - target.rank();
        List<Integer> reduce = new ArrayList<>();
        for (int i = 0; i < g.dims.length; i++) {
            if (i < lead || (target.size(i - lead) == 1 && g.dims[i] != 1)) {
                reduce.add(i);
            }
        }
        DenseTensor s = reduce.isEmpty() ? g
                : g.sum(reduce.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(target.toArray());
    }

    private static int[] broadcastShapes(String op, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.size(i - (rank - a.rank()));
            int db = i < rank - b.rank() ? 1 : b.size(i - (rank - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(op, "shapes do not broadcast (dim " + i + ": " + da + " vs " + db + ")", a, b);
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Returns this tensor's strides for reading it broadcast to {@code target} (0 where repeated). */
    private int[] broadcastStrides(int[] target) {
        int lead = target.length - dims.length;
        int[] s = new int[target.length];
        for (int i = 0; i < dims.length; i++) {
            s[lead + i] = (dims[i] == 1 && target[lead + i] != 1) ? 0 : strides[i];
        }
        return s;
    }

    private static DenseTensor[] grads(DenseTensor... g) {
        return g;
    }

    // ================================================================== metadata and data

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public float[] toArray() {
        float[] d = data();
        return isWhole(d) ? d.clone() : copyTo(new float[shape.numel()]); // never a pooled array
    }

    @Override
    public float item() {
        if (shape.numel() != 1) {
            throw new ShapeException("item", "needs a one-element tensor", shape);
        }
        return data()[offset];
    }

    @Override
    public float get(int... index) {
        if (index == null || index.length != dims.length) {
            throw new ShapeException("get", "needs " + dims.length + " indices, got "
                    + (index == null ? "null" : Arrays.toString(index)), shape);
        }
        int at = offset;
        for (int i = 0; i < dims.length; i++) {
            if (index[i] < 0 || index[i] >= dims[i]) {
                throw new ShapeException("get", "index " + Arrays.toString(index) + " is out of bounds", shape);
            }
            at += index[i] * strides[i];
        }
        return data()[at];
    }

    @Override
    public DenseTensor to(Backend target) {
        if (target == null) {
            throw new IllegalArgumentException("to: target backend is null");
        }
        if (target == backend) {
            return this;
        }
        return wrap(target, toArray(), shape);
    }

    @Override
    public String toString() {
        if (storage.isRecycled()) {
            return "Tensor" + shape + " on " + backend.id() + " [recycled by Workspace.recycle]";
        }
        float[] v = values();
        int shown = Math.min(v.length, 8);
        StringBuilder sb = new StringBuilder("Tensor").append(shape).append(" on ").append(backend.id()).append(" [");
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "" : ", ").append(v[i]);
        }
        if (shown < v.length) {
            sb.append(", ... ").append(v.length - shown).append(" more");
        }
        sb.append(']');
        if (node != null) {
            sb.append(" grad_fn=").append(node.op);
        } else if (requiresGrad) {
            sb.append(" requires_grad");
        }
        return sb.toString();
    }

    // ================================================================== autograd

    @Override
    public boolean requiresGrad() {
        return requiresGrad;
    }

    @Override
    public DenseTensor requireGrad() {
        if (node != null) {
            throw new IllegalStateException("requireGrad(): only a leaf tensor can be made trainable; this one is the "
                    + "result of '" + node.op + "'. Use detach().requireGrad() for a new leaf.");
        }
        requiresGrad = true;
        return this;
    }

    @Override
    public DenseTensor detach() {
        return new DenseTensor(backend, storage(), offset, dims, strides, null);
    }

    @Override
    public boolean hasGrad() {
        return grad != null;
    }

    @Override
    public DenseTensor grad() {
        if (grad == null) {
            throw new IllegalStateException("grad(): no gradient has been accumulated into this " + shape
                    + (node != null ? " non-leaf tensor (only leaves keep gradients)"
                    : requiresGrad ? " tensor yet; call backward() on a loss computed from it"
                    : " tensor because it does not require grad; call requireGrad() before the forward pass"));
        }
        return grad;
    }

    @Override
    public void zeroGrad() {
        grad = null;
    }

    @Override
    public void backward() {
        if (shape.numel() != 1) {
            throw new ShapeException("backward", "needs a one-element tensor (a loss); for other outputs "
                    + "pass the output gradient with backward(gradient)", shape);
        }
        backward(leaf(new float[] {1f}, dims));
    }

    @Override
    public void backward(Tensor gradient) {
        DenseTensor seed = cast(gradient, "backward");
        if (!seed.shape.equals(shape)) {
            throw new ShapeException("backward", "the gradient's shape must equal the tensor's", shape, seed.shape);
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward(): this tensor does not require grad: no input of it "
                    + "called requireGrad(), or it was computed inside Autograd.noGrad()");
        }
        try (Autograd.Scope scope = Autograd.noGrad()) {
            BufferPool.pause(); // gradients outlive any workspace
            try {
                runTape(seed.detach());
            } finally {
                BufferPool.resume();
            }
        }
    }

    /** Replays the recorded nodes reachable from this tensor in reverse creation order. */
    private void runTape(DenseTensor seed) {
        List<DenseTensor> order = new ArrayList<>();
        Map<DenseTensor, Boolean> seen = new IdentityHashMap<>();
        List<DenseTensor> stack = new ArrayList<>(List.of(this));
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            DenseTensor t = stack.remove(stack.size() - 1);
            if (t.node == null) {
                continue;
            }
            order.add(t);
            for (DenseTensor in : t.node.inputs) {
                if (in.requiresGrad && seen.put(in, Boolean.TRUE) == null) {
                    stack.add(in);
                }
            }
        }
        order.sort((x, y) -> Long.compare(y.node.seq, x.node.seq));
        Map<DenseTensor, DenseTensor> pending = new IdentityHashMap<>();
        if (node == null) {
            accumulate(seed);
            return;
        }
        pending.put(this, seed);
        for (DenseTensor t : order) {
            DenseTensor g = pending.remove(t);
            if (g == null) {
                continue;
            }
            DenseTensor[] inGrads = t.node.backward.apply(g);
            for (int i = 0; i < t.node.inputs.length; i++) {
                DenseTensor in = t.node.inputs[i];
                DenseTensor gi = inGrads[i];
                if (!in.requiresGrad || gi == null) {
                    continue;
                }
                if (!gi.shape.equals(in.shape)) {
                    throw new IllegalStateException("internal error: backward of '" + t.node.op + "' gave a gradient of "
                            + gi.shape + " for an input of " + in.shape);
                }
                if (in.node == null) {
                    in.accumulate(gi);
                } else {
                    pending.merge(in, gi, (a, b) -> a.add(b));
                }
            }
        }
    }

    private void accumulate(DenseTensor g) {
        grad = grad == null ? g.contiguous().detach() : (grad.add(g)).detach();
    }

    // ================================================================== element-wise

    private DenseTensor binary(String op, BinaryOp kind, Tensor other) {
        DenseTensor b = cast(other, op);
        int[] out = broadcastShapes(op, shape, b.shape);
        float[] values = BufferPool.allocate(product(out, 0, out.length));
        if (values.length > 0) {
            k().binary(kind, out, data(), offset, broadcastStrides(out), b.data(), b.offset, b.broadcastStrides(out), values);
        }
        DenseTensor a = this;
        return result(op, values, out, g -> binaryBackward(kind, a, b, g), a, b);
    }

    private static DenseTensor[] binaryBackward(BinaryOp kind, DenseTensor a, DenseTensor b, DenseTensor g) {
        switch (kind) {
            case ADD:
                return grads(sumTo(g, a.shape), sumTo(g, b.shape));
            case SUB:
                return grads(sumTo(g, a.shape), sumTo(g.neg(), b.shape));
            case MUL:
                return grads(a.requiresGrad ? sumTo(g.mul(b), a.shape) : null,
                        b.requiresGrad ? sumTo(g.mul(a), b.shape) : null);
            case DIV:
                // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
                return grads(a.requiresGrad ? sumTo(g.div(b), a.shape) : null,
                        b.requiresGrad ? sumTo(g.mul(a).div(b.mul(b)).neg(), b.shape) : null);
            default:
                return grads(null, null);
        }
    }

    private DenseTensor map(String op, UnaryOp kind, float p, float q) {
        float[] x = values();
        float[] y = BufferPool.allocate(x.length);
        k().map(kind, p, q, x, y, x.length);
        return result(op, y, dims, g -> {
            float[] gx = BufferPool.allocate(x.length);
            k().mapBackward(kind, p, q, x, y, g.values(), gx, x.length);
            return grads(leaf(gx, dims));
        }, this);
    }

    @Override
    public DenseTensor add(Tensor other) {
        return binary("add", BinaryOp.ADD, other);
    }

    @Override
    public DenseTensor sub(Tensor other) {
        return binary("sub", BinaryOp.SUB, other);
    }

    @Override
    public DenseTensor mul(Tensor other) {
        return binary("mul", BinaryOp.MUL, other);
    }

    @Override
    public DenseTensor div(Tensor other) {
        return binary("div", BinaryOp.DIV, other);
    }

    @Override
    public DenseTensor eq(Tensor other) {
        try (Autograd.Scope scope = Autograd.noGrad()) {
            return binary("eq", BinaryOp.EQ, other);
        }
    }

    @Override
    public DenseTensor add(float value) {
        return map("add", UnaryOp.ADD_SCALAR, value, 0f);
    }

    @Override
    public DenseTensor sub(float value) {
        return map("sub", UnaryOp.ADD_SCALAR, -value, 0f);
    }

    @Override
    public DenseTensor mul(float value) {
        return map("mul", UnaryOp.MUL_SCALAR, value, 0f);
    }

    @Override
    public DenseTensor div(float value) {
        return map("div", UnaryOp.MUL_SCALAR, 1f / value, 0f);
    }

    @Override
    public DenseTensor rdiv(float value) {
        return map("rdiv", UnaryOp.RDIV_SCALAR, value, 0f);
    }

    @Override
    public DenseTensor neg() {
        return map("neg", UnaryOp.NEG, 0f, 0f);
    }

    @Override
    public DenseTensor abs() {
        return map("abs", UnaryOp.ABS, 0f, 0f);
    }

    @Override
    public DenseTensor sqrt() {
        return map("sqrt", UnaryOp.SQRT, 0f, 0f);
    }

    @Override
    public DenseTensor exp() {
        return map("exp", UnaryOp.EXP, 0f, 0f);
    }

    @Override
    public DenseTensor log() {
        return map("log", UnaryOp.LOG, 0f, 0f);
    }

    @Override
    public DenseTensor pow(float exponent) {
        return map("pow", UnaryOp.POW, exponent, 0f);
    }

    @Override
    public DenseTensor clamp(float min, float max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min must be <= max, got " + min + " and " + max);
        }
        return map("clamp", UnaryOp.CLAMP, min, max);
    }

    @Override
    public DenseTensor relu() {
        return map("relu", UnaryOp.RELU, 0f, 0f);
    }

    @Override
    public DenseTensor silu() {
        return map("silu", UnaryOp.SILU, 0f, 0f);
    }

    @Override
    public DenseTensor gelu() {
        return map("gelu", UnaryOp.GELU, 0f, 0f);
    }

    @Override
    public DenseTensor geluTanh() {
        return map("geluTanh", UnaryOp.GELU_TANH, 0f, 0f);
    }

    @Override
    public DenseTensor sigmoid() {
        return map("sigmoid", UnaryOp.SIGMOID, 0f, 0f);
    }

    @Override
    public DenseTensor tanh() {
        return map("tanh", UnaryOp.TANH, 0f, 0f);
    }

    // ================================================================== softmax and reductions

    private DenseTensor softmax(String op, int dim, boolean log) {
        int d = shape.axis(op, dim);
        int outer = product(dims, 0, d);
        int inner = product(dims, d + 1, dims.length);
        float[] y = BufferPool.allocate(shape.numel());
        if (y.length > 0) {
            k().softmax(values(), outer, dims[d], inner, log, y);
        }
        DenseTensor out = leaf(y, dims);
        return result(op, y, dims, g -> {
            if (log) { // d/dx log_softmax: g - softmax * sum(g)
                return grads(g.sub(out.exp().mul(g.sum(new int[] {d}, true))));
            }
            // d/dx softmax: y * (g - sum(g * y))
            return grads(out.mul(g.sub(g.mul(out).sum(new int[] {d}, true))));
        }, this);
    }

    @Override
    public DenseTensor softmax(int dim) {
        return softmax("softmax", dim, false);
    }

    @Override
    public DenseTensor logSoftmax(int dim) {
        return softmax("logSoftmax", dim, true);
    }

    @Override
    public DenseTensor groupNorm(int groups, Tensor weight, Tensor bias, float eps) {
        String op = "groupNorm";
        DenseTensor w = weight == null ? null : cast(weight, op);
        DenseTensor b = bias == null ? null : cast(bias, op);
        checkGroupNorm(op, groups, w, b, eps);
        int batch = dims[0];
        int channels = dims[1];
        float[] x = values();
        float[] y = BufferPool.allocate(x.length);
        float[] mean = BufferPool.allocate(batch * groups);
        float[] rstd = BufferPool.allocate(batch * groups);
        if (x.length > 0) {
            k().groupNorm(x, batch, channels, x.length / Math.max(1, batch * channels), groups,
                    w == null ? null : w.values(), b == null ? null : b.values(), eps, y, mean, rstd);
        }
        DenseTensor in = leaf(x, dims);
        List<DenseTensor> inputs = new ArrayList<>(List.of(this));
        if (w != null) {
            inputs.add(w);
        }
        if (b != null) {
            inputs.add(b);
        }
        boolean needW = w != null && w.requiresGrad;
        boolean needB = b != null && b.requiresGrad;
        return result(op, y, dims, g -> {
            DenseTensor[] all = in.groupNormBackward(g, groups, w, leaf(mean, new int[] {batch, groups, 1}),
                    leaf(rstd, new int[] {batch, groups, 1}), requiresGrad, needW, needB);
            List<DenseTensor> perInput = new ArrayList<>(); // in the order of inputs
            perInput.add(all[0]);
            if (w != null) {
                perInput.add(all[1]);
            }
            if (b != null) {
                perInput.add(all[2]);
            }
            return perInput.toArray(new DenseTensor[0]);
        }, inputs.toArray(new DenseTensor[0]));
    }

    private void checkGroupNorm(String op, int groups, DenseTensor w, DenseTensor b, float eps) {
        if (dims.length < 2) {
            throw new ShapeException(op, "needs an (N, C, ...) input of rank >= 2", shape);
        }
        if (groups < 1 || dims[1] % groups != 0) {
            throw new ShapeException(op, "groups=" + groups + " must be >= 1 and divide the " + dims[1] + " channels",
                    shape);
        }
        for (DenseTensor p : new DenseTensor[] {w, b}) {
            if (p != null && (p.dims.length != 1 || p.dims[0] != dims[1])) {
                throw new ShapeException(op, "weight and bias must have shape (" + dims[1] + ")", shape, p.shape);
            }
        }
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    /**
     * Returns the gradients of {@link #groupNorm} for the input, the weight and the bias, given the
     * group means and reciprocal standard deviations {@code (N, G, 1)} of the forward pass.
     */
    private DenseTensor[] groupNormBackward(DenseTensor g, int groups, DenseTensor w, DenseTensor mean,
                                            DenseTensor rstd, boolean needX, boolean needW, boolean needB) {
        int batch = dims[0];
        int channels = dims[1];
        DenseTensor xHat = reshape(batch, groups, -1).sub(mean).mul(rstd);       // (N, G, C/G·S)
        DenseTensor gy = g.reshape(batch, channels, -1);                         // (N, C, S)
        DenseTensor gXHat = (w == null ? gy : gy.mul(w.reshape(1, channels, 1))).reshape(batch, groups, -1);
        // through μ and σ of eq. 1: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), per (n, g)
        int[] set = {2};
        DenseTensor gx = !needX ? null : gXHat.sub(gXHat.mean(set, true))
                .sub(xHat.mul(gXHat.mul(xHat).mean(set, true))).mul(rstd).reshape(dims);
        int[] perChannel = {0, 2};
        DenseTensor gw = !needW ? null : gy.mul(xHat.reshape(batch, channels, -1)).sum(perChannel, false); // (C)
        DenseTensor gb = !needB ? null : gy.sum(perChannel, false);                                     // (C)
        return grads(gx, gw, gb);
    }

    /** Validates and sorts reduction dims. */
    private int[] reduceDims(String op, int[] reduce) {
        if (reduce == null || reduce.length == 0) {
            throw new ShapeException(op, "needs at least one dim to reduce", shape);
        }
        int[] ds = new int[reduce.length];
        for (int i = 0; i < reduce.length; i++) {
            ds[i] = shape.axis(op, reduce[i]);
        }
        Arrays.sort(ds);
        for (int i = 1; i < ds.length; i++) {
            if (ds[i] == ds[i - 1]) {
                throw new ShapeException(op, "dim " + ds[i] + " is listed twice in " + Arrays.toString(reduce), shape);
            }
        }
        return ds;
    }

    private int[] reducedDims(int[] ds, boolean keepDim) {
        int[] keep = dims.clone();
        for (int d : ds) {
            keep[d] = 1;
        }
        if (keepDim) {
            return keep;
        }
        int[] out = new int[dims.length - ds.length];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (Arrays.binarySearch(ds, i) < 0) {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    /** Reduces the sorted dims one at a time, innermost first; returns keepDim-shaped values. */
    private float[] reduceValues(String op, ReduceOp kind, int[] ds) {
        float[] v = values();
        int[] cur = dims.clone();
        for (int i = ds.length - 1; i >= 0; i--) {
            int d = ds[i];
            if (cur[d] == 0) {
                throw new ShapeException(op, "cannot reduce the empty dim " + d, shape);
            }
            int outer = product(cur, 0, d);
            int inner = product(cur, d + 1, cur.length);
            float[] r = BufferPool.allocate(outer * inner);
            k().reduce(kind, v, outer, cur[d], inner, r);
            cur[d] = 1;
            v = r;
        }
        return v;
    }

    @Override
    public DenseTensor sum() {
        return dims.length == 0 ? reshape() : sum(allDims(), false);
    }

    private int[] allDims() {
        int[] all = new int[dims.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    @Override
    public DenseTensor sum(int[] reduce, boolean keepDim) {
        int[] ds = reduceDims("sum", reduce);
        int[] keep = reducedDims(ds, true);
        float[] v = reduceValues("sum", ReduceOp.SUM, ds);
        Shape in = shape;
        return result("sum", v, reducedDims(ds, keepDim),
                g -> grads(g.reshape(keep).broadcastTo(in.toArray())), this);
    }

    @Override
    public DenseTensor mean() {
        return dims.length == 0 ? reshape() : mean(allDims(), false);
    }

    @Override
    public DenseTensor mean(int[] reduce, boolean keepDim) {
        int[] ds = reduceDims("mean", reduce);
        int count = 1;
        for (int d : ds) {
            count *= dims[d];
        }
        return sum(ds, keepDim).div(count);
    }

    @Override
    public DenseTensor max(int[] reduce, boolean keepDim) {
        int[] ds = reduceDims("max", reduce);
        int[] keep = reducedDims(ds, true);
        float[] v = reduceValues("max", ReduceOp.MAX, ds);
        DenseTensor x = this;
        DenseTensor maxKeep = leaf(v, keep);
        return result("max", v, reducedDims(ds, keepDim), g -> {
            // the gradient goes to the maxima, shared equally among ties (as torch.amax)
            DenseTensor mask = x.detach().eq(maxKeep);
            DenseTensor count = mask.sum(ds, true);
            return grads(g.reshape(keep).div(count).mul(mask));
        }, this);
    }

    @Override
    public DenseTensor var(int[] reduce, boolean keepDim, int correction) {
        int[] ds = reduceDims("var", reduce);
        int count = 1;
        for (int d : ds) {
            count *= dims[d];
        }
        if (correction < 0 || count - correction <= 0) {
            throw new ShapeException("var", "correction " + correction + " needs more than " + correction
                    + " elements per reduction, got " + count, shape);
        }
        // the kernel reduces one run of adjacent dims: scattered dims are moved to the end first
        DenseTensor in = this;
        int first = ds[0];
        if (ds[ds.length - 1] - ds[0] != ds.length - 1) {
            int[] order = new int[dims.length];
            int k = 0;
            for (int i = 0; i < dims.length; i++) {
                if (Arrays.binarySearch(ds, i) < 0) {
                    order[k++] = i;
                }
            }
            first = k;
            for (int d : ds) {
                order[k++] = d;
            }
            in = detach().permute(order);
        }
        int outer = product(in.dims, 0, first);
        int inner = product(in.dims, first + ds.length, in.dims.length);
        float[] v = BufferPool.allocate(outer * inner);
        if (v.length > 0) {
            k().variance(in.values(), outer, count, inner, correction, v); // two passes in double
        }
        int[] keep = reducedDims(ds, true);
        int divisor = count - correction;
        DenseTensor x = this;
        return result("var", v, reducedDims(ds, keepDim), g -> {
            // the gradient of sum((x - mean)^2) / divisor, composed: gc - mean(gc), gc = 2 g (x - mean) / divisor
            DenseTensor centered = x.detach().sub(x.detach().mean(ds, true));
            DenseTensor gc = g.reshape(keep).div(divisor).mul(centered).mul(2f);
            return grads(gc.sub(gc.mean(ds, true)));
        }, this);
    }

    // ================================================================== matmul

    @Override
    public DenseTensor matmul(Tensor other) {
        DenseTensor b = cast(other, "matmul");
        if (dims.length == 0 || b.dims.length == 0) {
            throw new ShapeException("matmul", "needs operands of rank 1 or more", shape, b.shape);
        }
        DenseTensor a2 = dims.length == 1 ? unsqueeze(0) : this;     // (k) -> (1, k)
        DenseTensor b2 = b.dims.length == 1 ? b.unsqueeze(1) : b;    // (k) -> (k, 1)
        if (a2.size(-1) != b2.size(-2)) {
            throw new ShapeException("matmul", "inner dims differ (" + a2.size(-1) + " vs " + b2.size(-2) + ")",
                    shape, b.shape);
        }
        Shape aBatch = Shape.of(Arrays.copyOf(a2.dims, a2.dims.length - 2));
        Shape bBatch = Shape.of(Arrays.copyOf(b2.dims, b2.dims.length - 2));
        int[] batch;
        try {
            batch = broadcastShapes("matmul", aBatch, bBatch);
        } catch (ShapeException e) {
            throw new ShapeException("matmul", "batch dims do not broadcast", shape, b.shape);
        }
        DenseTensor out = a2.matmulBatched(b2, batch);
        if (dims.length == 1) {
            out = out.squeeze(-2);
        }
        if (b.dims.length == 1) {
            out = out.squeeze(-1);
        }
        return out;
    }

    /** {@code (..., m, k) @ (..., k, n)} with batch dims already broadcast-compatible. */
    private DenseTensor matmulBatched(DenseTensor b, int[] batch) {
        DenseTensor a = matrixOperand(this);
        DenseTensor bm = matrixOperand(b);
        int m = a.size(-2);
        int kk = a.size(-1);
        int n = bm.size(-1);
        int count = product(batch, 0, batch.length);
        int[] outDims = Arrays.copyOf(batch, batch.length + 2);
        outDims[batch.length] = m;
        outDims[batch.length + 1] = n;
        float[] c = kk > 0 ? BufferPool.allocate(count * m * n) : BufferPool.allocateZeroed(count * m * n);
        if (c.length > 0) {
            if (kk > 0) { // an empty contraction leaves zeros
                k().matmul(count, a.data(), a.batchOffsets(batch), a.isTransposedMatrix(),
                        bm.data(), bm.batchOffsets(batch), bm.isTransposedMatrix(), c, m, kk, n);
            }
        }
        DenseTensor self = this;
        return result("matmul", c, outDims, g -> grads(
                self.requiresGrad ? sumTo(g.matmul(b.transpose(-1, -2)), self.shape) : null,
                b.requiresGrad ? sumTo(self.transpose(-1, -2).matmul(g), b.shape) : null),
                this, b);
    }

    /** Returns t if its last two dims are row-major or column-major, else a contiguous copy. */
    private static DenseTensor matrixOperand(DenseTensor t) {
        return t.isRowMajorMatrix() || t.isTransposedMatrix() ? t : t.contiguous();
    }

    private boolean isRowMajorMatrix() {
        int r = dims[dims.length - 2];
        int c = dims[dims.length - 1];
        return (c == 1 || strides[dims.length - 1] == 1) && (r == 1 || strides[dims.length - 2] == c);
    }

    private boolean isTransposedMatrix() {
        if (isRowMajorMatrix()) {
            return false;
        }
        int r = dims[dims.length - 2];
        int c = dims[dims.length - 1];
        return (r == 1 || strides[dims.length - 2] == 1) && (c == 1 || strides[dims.length - 1] == r);
    }

    /** Returns the first element of each matrix for every index of the broadcast batch shape. */
    private int[] batchOffsets(int[] batch) {
        int[] bs = new int[batch.length];
        int lead = batch.length - (dims.length - 2);
        for (int i = 0; i < dims.length - 2; i++) {
            bs[lead + i] = dims[i] == 1 ? 0 : strides[i];
        }
        int count = product(batch, 0, batch.length);
        int[] offsets = new int[count];
        int[] idx = new int[batch.length];
        for (int i = 0; i < count; i++) {
            int off = offset;
            for (int d = 0; d < batch.length; d++) {
                off += idx[d] * bs[d];
            }
            offsets[i] = off;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return offsets;
    }

    // ================================================================== shape ops (views)

    @Override
    public DenseTensor reshape(int... newShape) {
        if (newShape == null) {
            throw new ShapeException("reshape", "the new shape is null", shape);
        }
        int[] target = newShape.clone();
        int infer = -1;
        int known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1 && infer < 0) {
                infer = i;
            } else if (target[i] < 0) {
                throw new ShapeException("reshape", "invalid size in " + Arrays.toString(newShape), shape);
            } else {
                known *= target[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || shape.numel() % known != 0) {
                throw new ShapeException("reshape", "cannot infer -1 in " + Arrays.toString(newShape), shape);
            }
            target[infer] = shape.numel() / known;
        }
        if (product(target, 0, target.length) != shape.numel()) {
            throw new ShapeException("reshape", "element counts differ", shape, Shape.of(target));
        }
        Shape in = shape;
        Node.Backward back = g -> grads(g.reshape(in.toArray()));
        if (isContiguous()) {
            return view("reshape", storage(), offset, target, rowMajorStrides(target), back, this);
        }
        return result("reshape", values(), target, back, this);
    }

    @Override
    public DenseTensor permute(int... order) {
        if (order == null || order.length != dims.length) {
            throw new ShapeException("permute", "needs a permutation of " + dims.length + " dims, got "
                    + (order == null ? "null" : Arrays.toString(order)), shape);
        }
        int[] perm = new int[order.length];
        boolean[] used = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            perm[i] = shape.axis("permute", order[i]);
            if (used[perm[i]]) {
                throw new ShapeException("permute", Arrays.toString(order) + " is not a permutation", shape);
            }
            used[perm[i]] = true;
        }
        int[] nd = new int[perm.length];
        int[] ns = new int[perm.length];
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            nd[i] = dims[perm[i]];
            ns[i] = strides[perm[i]];
            inverse[perm[i]] = i;
        }
        return view("permute", storage(), offset, nd, ns, g -> grads(g.permute(inverse)), this);
    }

    @Override
    public DenseTensor transpose(int dim0, int dim1) {
        int a = shape.axis("transpose", dim0);
        int b = shape.axis("transpose", dim1);
        int[] order = allDims();
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    @Override
    public DenseTensor unsqueeze(int dim) {
        int r = dims.length;
        if (dim < -(r + 1) || dim > r) {
            throw new ShapeException("unsqueeze", "dim " + dim + " is out of range for rank " + r, shape);
        }
        int d = dim < 0 ? dim + r + 1 : dim;
        int[] nd = new int[r + 1];
        int[] ns = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == d) {
                nd[i] = 1;
                ns[i] = j < r ? strides[j] * dims[j] : 1;
            } else {
                nd[i] = dims[j];
                ns[i] = strides[j++];
            }
        }
        return view("unsqueeze", storage(), offset, nd, ns, g -> grads(g.squeeze(d)), this);
    }

    @Override
    public DenseTensor squeeze(int dim) {
        int d = shape.axis("squeeze", dim);
        if (dims[d] != 1) {
            throw new ShapeException("squeeze", "dim " + dim + " has size " + dims[d] + ", not 1", shape);
        }
        int[] nd = new int[dims.length - 1];
        int[] ns = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i != d) {
                nd[j] = dims[i];
                ns[j++] = strides[i];
            }
        }
        return view("squeeze", storage(), offset, nd, ns, g -> grads(g.unsqueeze(d)), this);
    }

    @Override
    public DenseTensor broadcastTo(int... target) {
        if (target == null) {
            throw new ShapeException("broadcastTo", "the target shape is null", shape);
        }
        Shape t = Shape.of(target);
        int[] out;
        try {
            out = broadcastShapes("broadcastTo", shape, t);
        } catch (ShapeException e) {
            throw new ShapeException("broadcastTo", "cannot broadcast", shape, t);
        }
        if (!Arrays.equals(out, target)) {
            throw new ShapeException("broadcastTo", "cannot broadcast", shape, t);
        }
        Shape in = shape;
        return view("broadcastTo", storage(), offset, out, broadcastStrides(out), g -> grads(sumTo(g, in)), this);
    }

    @Override
    public DenseTensor narrow(int dim, int start, int length) {
        int d = shape.axis("narrow", dim);
        if (start < 0 || length < 0 || start + length > dims[d]) {
            throw new ShapeException("narrow", "start " + start + " and length " + length
                    + " do not fit dim " + dim + " of size " + dims[d], shape);
        }
        int[] nd = dims.clone();
        nd[d] = length;
        int before = start;
        int after = dims[d] - start - length;
        int[] padding = new int[2 * (dims.length - d)];
        padding[padding.length - 2] = before;
        padding[padding.length - 1] = after;
        return view("narrow", storage(), offset + start * strides[d], nd, strides.clone(),
                g -> grads(g.pad(padding, 0f)), this);
    }

    @Override
    public List<Tensor> split(int splitSize, int dim) {
        int d = shape.axis("split", dim);
        if (splitSize <= 0) {
            throw new ShapeException("split", "split size must be positive, got " + splitSize, shape);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int start = 0; start < dims[d]; start += splitSize) {
            parts.add(narrow(d, start, Math.min(splitSize, dims[d] - start)));
        }
        return Collections.unmodifiableList(parts);
    }

    @Override
    public List<Tensor> chunk(int chunks, int dim) {
        int d = shape.axis("chunk", dim);
        if (chunks <= 0) {
            throw new ShapeException("chunk", "the number of chunks must be positive, got " + chunks, shape);
        }
        int size = Math.max(1, (dims[d] + chunks - 1) / chunks);
        return split(size, d);
    }

    @Override
    public DenseTensor indexSelect(int dim, int... index) {
        int d = shape.axis("indexSelect", dim);
        if (index == null) {
            throw new ShapeException("indexSelect", "the index array is null", shape);
        }
        int[] idx = index.clone();
        for (int i : idx) {
            if (i < 0 || i >= dims[d]) {
                throw new ShapeException("indexSelect", "index " + i + " is out of range for dim " + dim
                        + " of size " + dims[d], shape);
            }
        }
        int outer = product(dims, 0, d);
        int inner = product(dims, d + 1, dims.length);
        int[] nd = dims.clone();
        nd[d] = idx.length;
        float[] out = BufferPool.allocate(product(nd, 0, nd.length));
        if (out.length > 0) {
            k().gather(values(), outer, dims[d], inner, idx, out);
        }
        int length = dims[d];
        return result("indexSelect", out, nd, g -> {
            float[] gx = BufferPool.allocate(outer * length * inner);
            k().scatterAdd(g.values(), outer, length, inner, idx, gx);
            return grads(leaf(gx, dims));
        }, this);
    }

    @Override
    public DenseTensor pad(int[] padding, float value) {
        if (padding == null || padding.length % 2 != 0 || padding.length / 2 > dims.length) {
            throw new ShapeException("pad", "padding must hold (before, after) pairs for at most " + dims.length
                    + " dims, got " + (padding == null ? "null" : Arrays.toString(padding)), shape);
        }
        int[] nd = dims.clone();
        int[] start = new int[dims.length];
        for (int p = 0; p < padding.length / 2; p++) {
            int d = dims.length - 1 - p;
            int before = padding[2 * p];
            int after = padding[2 * p + 1];
            if (before < 0 || after < 0) {
                throw new ShapeException("pad", "negative padding in " + Arrays.toString(padding), shape);
            }
            nd[d] = dims[d] + before + after;
            start[d] = before;
        }
        int size = product(nd, 0, nd.length);
        float[] out = value == 0f ? BufferPool.allocateZeroed(size) : BufferPool.allocate(size); // borders stay
        if (value != 0f) {
            Arrays.fill(out, value);
        }
        int[] outStrides = rowMajorStrides(nd);
        int dst = 0;
        for (int i = 0; i < nd.length; i++) {
            dst += start[i] * outStrides[i];
        }
        if (shape.numel() > 0) {
            k().copy(dims, data(), offset, strides, out, dst, outStrides);
        }
        int[] inDims = dims;
        return result("pad", out, nd, g -> {
            DenseTensor inner = g;
            for (int i = 0; i < inDims.length; i++) {
                if (inDims[i] != g.dims[i]) {
                    inner = inner.narrow(i, start[i], inDims[i]);
                }
            }
            return grads(inner);
        }, this);
    }

    /**
     * Concatenates tensors along {@code dim}.
     *
     * @param backend the backend they must all live on
     * @param dim     the dim
     * @param parts   the tensors
     * @return the joined tensor
     */
    public static DenseTensor concat(Backend backend, int dim, List<Tensor> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new ShapeException("concat", "needs at least one tensor");
        }
        DenseTensor[] ts = new DenseTensor[parts.size()];
        Shape[] shapes = new Shape[ts.length];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = cast(backend, i == 0 ? Shape.of() : shapes[0], parts.get(i), "concat");
            shapes[i] = ts[i].shape;
        }
        DenseTensor first = ts[0];
        int r = first.dims.length;
        if (r == 0) {
            throw new ShapeException("concat", "cannot concatenate rank-0 tensors", shapes);
        }
        int d = first.shape.axis("concat", dim);
        int[] nd = first.dims.clone();
        nd[d] = 0;
        for (DenseTensor t : ts) {
            boolean same = t.dims.length == r;
            for (int i = 0; same && i < r; i++) {
                same = i == d || t.dims[i] == first.dims[i];
            }
            if (!same) {
                throw new ShapeException("concat", "all dims except dim " + dim + " must match", shapes);
            }
            nd[d] += t.dims[d];
        }
        float[] out = BufferPool.allocate(product(nd, 0, nd.length)); // the parts' copies tile it
        int[] outStrides = rowMajorStrides(nd);
        int[] starts = new int[ts.length];
        int at = 0;
        for (int i = 0; i < ts.length; i++) {
            starts[i] = at;
            if (ts[i].shape.numel() > 0) {
                first.k().copy(ts[i].dims, ts[i].data(), ts[i].offset, ts[i].strides, out, at * outStrides[d], outStrides);
            }
            at += ts[i].dims[d];
        }
        return first.result("concat", out, nd, g -> {
            DenseTensor[] gs = new DenseTensor[ts.length];
            for (int i = 0; i < ts.length; i++) {
                gs[i] = g.narrow(d, starts[i], ts[i].dims[d]);
            }
            return gs;
        }, ts);
    }

    // ================================================================== images

    @Override
    public DenseTensor conv2d(Tensor weight, int stride, int padding, int groups) {
        DenseTensor w = cast(weight, "conv2d");
        if (dims.length != 4 || w.dims.length != 4) {
            throw new ShapeException("conv2d", "needs an (N, C, H, W) input and an (O, C/groups, KH, KW) weight",
                    shape, w.shape);
        }
        if (stride < 1 || padding < 0 || groups < 1) {
            throw new ShapeException("conv2d", "needs stride >= 1, padding >= 0 and groups >= 1, got stride "
                    + stride + ", padding " + padding + ", groups " + groups, shape, w.shape);
        }
        int c = dims[1];
        int o = w.dims[0];
        if (c % groups != 0 || o % groups != 0 || w.dims[1] * groups != c) {
            throw new ShapeException("conv2d", "channels do not fit groups=" + groups
                    + " (input channels " + c + ", weight (O, C/groups) = (" + o + ", " + w.dims[1] + "))", shape, w.shape);
        }
        Conv2dGeometry g = new Conv2dGeometry(dims[0], c, dims[2], dims[3], o, w.dims[2], w.dims[3],
                stride, stride, padding, padding, groups);
        if (dims[2] + 2 * padding < w.dims[2] || dims[3] + 2 * padding < w.dims[3]) {
            throw new ShapeException("conv2d", "the kernel is larger than the padded input", shape, w.shape);
        }
        int[] outDims = {g.batch(), o, g.outHeight(), g.outWidth()};
        float[] x = values();
        float[] wv = w.values();
        float[] out = BufferPool.allocate(product(outDims, 0, 4));
        if (out.length > 0) {
            k().conv2d(g, x, wv, out);
        }
        DenseTensor self = this;
        return result("conv2d", out, outDims, gy -> {
            float[] gyv = gy.values();
            DenseTensor gx = null;
            DenseTensor gw = null;
            if (self.requiresGrad) {
                float[] v = BufferPool.allocate(x.length);
                k().conv2dBackwardInput(g, gyv, wv, v);
                gx = leaf(v, dims);
            }
            if (w.requiresGrad) {
                float[] v = BufferPool.allocate(wv.length);
                k().conv2dBackwardWeight(g, x, gyv, v);
                gw = leaf(v, w.dims);
            }
            return grads(gx, gw);
        }, this, w);
    }

    private void checkImage(String op) {
        if (dims.length != 4) {
            throw new ShapeException(op, "needs an (N, C, H, W) tensor", shape);
        }
    }

    @Override
    public DenseTensor upsampleNearest(int factor) {
        checkImage("upsampleNearest");
        if (factor < 1) {
            throw new ShapeException("upsampleNearest", "factor must be at least 1, got " + factor, shape);
        }
        int planes = dims[0] * dims[1];
        int h = dims[2];
        int w = dims[3];
        int[] outDims = {dims[0], dims[1], h * factor, w * factor};
        float[] out = BufferPool.allocate(product(outDims, 0, 4));
        if (out.length > 0) {
            k().upsampleNearest(values(), planes, h, w, factor, out);
        }
        return result("upsampleNearest", out, outDims, g -> {
            // each input pixel fed factor^2 outputs: the gradient is their sum, an average pool times factor^2
            float[] gx = BufferPool.allocate(planes * h * w);
            k().avgPool2d(g.values(), planes, h * factor, w * factor, factor, factor, gx);
            return grads(leaf(gx, dims).mul((float) factor * factor));
        }, this);
    }

    @Override
    public DenseTensor avgPool2d(int kernel, int stride) {
        checkImage("avgPool2d");
        int h = dims[2];
        int w = dims[3];
        if (kernel < 1 || stride < 1 || kernel > h || kernel > w) {
            throw new ShapeException("avgPool2d", "needs 1 <= kernel <= H, W and stride >= 1, got kernel "
                    + kernel + ", stride " + stride, shape);
        }
        int planes = dims[0] * dims[1];
        int[] outDims = {dims[0], dims[1], (h - kernel) / stride + 1, (w - kernel) / stride + 1};
        float[] out = BufferPool.allocate(product(outDims, 0, 4));
        if (out.length > 0) {
            k().avgPool2d(values(), planes, h, w, kernel, stride, out);
        }
        return result("avgPool2d", out, outDims, g -> {
            float[] gx = BufferPool.allocate(planes * h * w);
            k().avgPool2dBackward(g.values(), planes, h, w, kernel, stride, gx);
            return grads(leaf(gx, dims));
        }, this);
    }
}
