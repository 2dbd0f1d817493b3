package org.minidiffusion.core.internal;

import java.util.Arrays;
import java.util.List;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.spi.BinaryOp;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.core.spi.UnaryOp;

/**
 * The one {@link Tensor} implementation: a strided view of a {@code float[]} plus its autograd node.
 *
 * <p>This class holds the storage, the strides and the checks on them; the ops live by family,
 * each forward beside its backward: {@link ElementwiseOps}, {@link ReductionOps}, {@link ShapeOps},
 * {@link MatmulOps}, {@link ImageOps} and {@link NormOps}. Every op validates its arguments, calls
 * a backend kernel, and records a {@link Tape.Node} whose backward is written with other tensor
 * ops; {@link Tape} replays them with recording off.
 *
 * <p>Storage arrays come from {@link BufferPool#allocate} (or {@code allocateZeroed} where the
 * kernel does not write every element), so that a {@code Workspace} can reuse them; all reads go
 * through {@link #data()}, which refuses a {@link Storage} the workspace has taken back.
 */
final class DenseTensor implements Tensor {
    private static final String PACKAGE = DenseTensor.class.getPackageName() + ".";

    final Backend backend;
    private final Storage storage;  // shared with views; read through data()
    final int offset;
    final int[] dims;
    final int[] strides;
    final Shape shape;

    final Tape.Node node;           // null for leaves
    boolean requiresGrad;
    DenseTensor grad;               // accumulated gradient of a leaf, written by Tape

    private DenseTensor(Backend backend, Storage storage, int offset, int[] dims, int[] strides, Tape.Node node) {
        this.backend = backend;
        this.storage = storage;
        this.offset = offset;
        this.dims = dims;
        this.strides = strides;
        this.shape = Shape.of(dims);
        this.node = node;
        this.requiresGrad = node != null;
    }

    /** Wraps a row-major array as a leaf tensor; the array must not be modified afterwards. */
    static DenseTensor wrap(Backend backend, float[] data, Shape shape) {
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
        if (d.storage.isRecycledAfterBackward()) {
            throw d.recycled(op);
        }
        if (d.storage.isRecycled()) {
            throw new IllegalStateException(op + ": the survivor " + d.shape + " was already recycled by an earlier "
                    + "Workspace.recycle; pass it as a survivor to every recycle it must outlive");
        }
        return d.storage;
    }

    /**
     * Returns {@code t} as this implementation, whatever its backend.
     *
     * @param t  a tensor
     * @param op the caller, for messages
     * @return the tensor
     */
    static DenseTensor dense(Tensor t, String op) {
        if (!(t instanceof DenseTensor)) {
            throw new IllegalArgumentException(op + ": unsupported Tensor implementation "
                    + (t == null ? "null" : t.getClass().getName()));
        }
        return (DenseTensor) t;
    }

    /** Returns zeros of {@code shape} on a {@linkplain Storage#mutable mutable storage} of their own. */
    static DenseTensor mutableZeros(Backend backend, Shape shape) {
        int[] d = shape.toArray();
        return new DenseTensor(backend, Storage.mutable(new float[shape.numel()]), 0, d, rowMajorStrides(d), null);
    }

    // ================================================================== storage and strides

    static int[] rowMajorStrides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** Returns the storage array; every read goes through here, so a recycled tensor cannot be read. */
    float[] data() {
        if (storage.isRecycled()) {
            throw recycled();
        }
        return storage.array();
    }

    /** Returns the storage, for a view; a recycled tensor has no views. */
    Storage storage() {
        data();
        return storage;
    }

    private IllegalStateException recycled() {
        return recycled(tensorOp());
    }

    private IllegalStateException recycled(String op) {
        if (storage.isRecycledGradient()) {
            return new IllegalStateException(op + ": internal error: this " + shape + " tensor is an intermediate "
                    + "gradient that its backward pass had given back for reuse");
        }
        if (storage.isRecycledAfterBackward()) {
            return new IllegalStateException(op + ": this " + shape + " tensor was made inside a block (Workspace.scoped, "
                    + "such as an nn Block) while autograd recorded, and backward() has run through that block, which "
                    + "reuses the buffers of the tensors the block made but did not return; a block must not keep them: "
                    + "return what is needed, or copy its values out with toArray() before backward()");
        }
        return new IllegalStateException(op + ": this " + shape + " tensor was recycled by Workspace.recycle, "
                + "so its buffer may hold other values now; keep it by passing it to recycle(...) as a survivor, "
                + "or copy its values out with toArray() before the recycle");
    }

    /** Returns the tensor op the caller called: the outermost frame of this package, Tensor or Backend. */
    private static String tensorOp() {
        return StackWalker.getInstance().walk(frames -> frames
                .takeWhile(f -> f.getClassName().startsWith(PACKAGE)
                        || f.getClassName().equals(Tensor.class.getName())
                        || f.getClassName().equals(Backend.class.getName()))
                .reduce((inner, outer) -> outer)
                .map(StackWalker.StackFrame::getMethodName)
                .orElse("tensor"));
    }

    Kernels k() {
        return backend.kernels();
    }

    DenseTensor cast(Tensor t, String op) {
        return cast(backend, shape, t, op);
    }

    /** Checks that {@code t} is a tensor of this implementation on {@code expected}. */
    static DenseTensor cast(Backend expected, Shape left, Tensor t, String op) {
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
    boolean isContiguous() {
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

    /** Returns whether this tensor covers its whole storage array, row-major from index 0. */
    boolean isWhole() {
        return isWhole(storage.array());
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

    /**
     * Returns a copy of this tensor's values on a {@linkplain Storage#mutable mutable storage} of its
     * own: a new array, never a workspace's, since it outlives any. The copy is a leaf.
     */
    DenseTensor mutableCopy() {
        int[] d = dims.clone();
        return new DenseTensor(backend, Storage.mutable(toArray()), 0, d, rowMajorStrides(d), null);
    }

    /** Returns whether in-place updates may write this tensor's storage. */
    boolean isMutable() {
        return storage.isMutable();
    }

    /**
     * Returns the array of a tensor that an in-place update writes: its mutable storage, which it
     * must cover whole, row-major from index 0.
     *
     * @param op   the update, for messages
     * @param what the role of this tensor in it, for messages
     * @return the storage array
     */
    float[] writableData(String op, String what) {
        float[] d = data();
        if (!storage.isMutable() || !isWhole(d)) {
            throw new IllegalStateException(op + ": " + what + " " + shape + " is not a buffer of its own that may be "
                    + "updated in place (tensors never change; only a Parameter's value and a StateBuffer do)");
        }
        return d;
    }

    /** Stamps this tensor's storage as written in place at the tape's clock {@code tick}. */
    void markWritten(long tick) {
        storage.markWritten(tick);
    }

    /** Returns the tape's clock at the last in-place write of this tensor's storage, or 0. */
    long writtenAt() {
        return storage.writtenAt();
    }

    DenseTensor contiguous() {
        return isContiguous() ? this : leaf(values(), dims);
    }

    /** Wraps {@code values} as an unrecorded tensor on this tensor's backend. */
    DenseTensor leaf(float[] values, int[] newDims) {
        return new DenseTensor(backend, Storage.of(values), 0, newDims, rowMajorStrides(newDims), null);
    }

    /** Creates an op's output, recording it if grad mode is on and an input requires grad. */
    DenseTensor result(String op, float[] values, int[] newDims, Tape.Backward backward, DenseTensor... inputs) {
        return view(op, Storage.of(values), 0, newDims, rowMajorStrides(newDims), backward, inputs);
    }

    /** Creates an op's output that reads {@code viewed}, recording it like {@link #result}. */
    DenseTensor view(String op, Storage viewed, int off, int[] newDims, int[] newStrides,
                     Tape.Backward backward, DenseTensor... inputs) {
        return new DenseTensor(backend, viewed, off, newDims, newStrides, Tape.record(op, backward, inputs));
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
            return "Tensor" + shape + " on " + backend.id()
                    + (storage.isRecycledAfterBackward() ? " [recycled after backward]" : " [recycled by Workspace.recycle]");
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
        Tape.backward(this, cast(gradient, "backward"));
    }

    // ================================================================== ops, by family

    @Override public DenseTensor add(Tensor other) { return ElementwiseOps.binary(this, "add", BinaryOp.ADD, other); }
    @Override public DenseTensor sub(Tensor other) { return ElementwiseOps.binary(this, "sub", BinaryOp.SUB, other); }
    @Override public DenseTensor mul(Tensor other) { return ElementwiseOps.binary(this, "mul", BinaryOp.MUL, other); }
    @Override public DenseTensor div(Tensor other) { return ElementwiseOps.binary(this, "div", BinaryOp.DIV, other); }
    @Override public DenseTensor eq(Tensor other) { return ElementwiseOps.eq(this, other); }
    @Override public DenseTensor add(float value) { return ElementwiseOps.map(this, "add", UnaryOp.ADD_SCALAR, value, 0f); }
    @Override public DenseTensor sub(float value) { return ElementwiseOps.map(this, "sub", UnaryOp.ADD_SCALAR, -value, 0f); }
    @Override public DenseTensor mul(float value) { return ElementwiseOps.map(this, "mul", UnaryOp.MUL_SCALAR, value, 0f); }
    @Override public DenseTensor div(float value) { return ElementwiseOps.map(this, "div", UnaryOp.MUL_SCALAR, 1f / value, 0f); }
    @Override public DenseTensor rdiv(float value) { return ElementwiseOps.map(this, "rdiv", UnaryOp.RDIV_SCALAR, value, 0f); }
    @Override public DenseTensor pow(float exponent) { return ElementwiseOps.map(this, "pow", UnaryOp.POW, exponent, 0f); }
    @Override public DenseTensor clamp(float min, float max) { return ElementwiseOps.clamp(this, min, max); }
    @Override public DenseTensor neg() { return ElementwiseOps.unary(this, "neg", UnaryOp.NEG); }
    @Override public DenseTensor abs() { return ElementwiseOps.unary(this, "abs", UnaryOp.ABS); }
    @Override public DenseTensor sqrt() { return ElementwiseOps.unary(this, "sqrt", UnaryOp.SQRT); }
    @Override public DenseTensor exp() { return ElementwiseOps.unary(this, "exp", UnaryOp.EXP); }
    @Override public DenseTensor log() { return ElementwiseOps.unary(this, "log", UnaryOp.LOG); }
    @Override public DenseTensor relu() { return ElementwiseOps.unary(this, "relu", UnaryOp.RELU); }
    @Override public DenseTensor silu() { return ElementwiseOps.unary(this, "silu", UnaryOp.SILU); }
    @Override public DenseTensor gelu() { return ElementwiseOps.unary(this, "gelu", UnaryOp.GELU); }
    @Override public DenseTensor geluTanh() { return ElementwiseOps.unary(this, "geluTanh", UnaryOp.GELU_TANH); }
    @Override public DenseTensor sigmoid() { return ElementwiseOps.unary(this, "sigmoid", UnaryOp.SIGMOID); }
    @Override public DenseTensor tanh() { return ElementwiseOps.unary(this, "tanh", UnaryOp.TANH); }

    @Override public DenseTensor softmax(int dim) { return ReductionOps.softmax(this, "softmax", dim, false); }
    @Override public DenseTensor logSoftmax(int dim) { return ReductionOps.softmax(this, "logSoftmax", dim, true); }
    @Override public DenseTensor sum() { return ReductionOps.sum(this); }
    @Override public DenseTensor sum(int[] reduce, boolean keepDim) { return ReductionOps.sum(this, reduce, keepDim); }
    @Override public DenseTensor mean() { return ReductionOps.mean(this); }
    @Override public DenseTensor mean(int[] reduce, boolean keepDim) { return ReductionOps.mean(this, reduce, keepDim); }
    @Override public DenseTensor max(int[] reduce, boolean keepDim) { return ReductionOps.max(this, reduce, keepDim); }
    @Override public DenseTensor var(int[] reduce, boolean keepDim, int correction) {
        return ReductionOps.var(this, reduce, keepDim, correction);
    }

    @Override public DenseTensor reshape(int... newShape) { return ShapeOps.reshape(this, newShape); }
    @Override public DenseTensor permute(int... order) { return ShapeOps.permute(this, order); }
    @Override public DenseTensor transpose(int dim0, int dim1) { return ShapeOps.transpose(this, dim0, dim1); }
    @Override public DenseTensor unsqueeze(int dim) { return ShapeOps.unsqueeze(this, dim); }
    @Override public DenseTensor squeeze(int dim) { return ShapeOps.squeeze(this, dim); }
    @Override public DenseTensor broadcastTo(int... target) { return ShapeOps.broadcastTo(this, target); }
    @Override public DenseTensor narrow(int dim, int start, int length) { return ShapeOps.narrow(this, dim, start, length); }
    @Override public List<Tensor> split(int splitSize, int dim) { return ShapeOps.split(this, splitSize, dim); }
    @Override public List<Tensor> chunk(int chunks, int dim) { return ShapeOps.chunk(this, chunks, dim); }
    @Override public DenseTensor indexSelect(int dim, int... index) { return ShapeOps.indexSelect(this, dim, index); }

    @Override public DenseTensor matmul(Tensor other) { return MatmulOps.matmul(this, other); }

    @Override public DenseTensor pad(int[] padding, float value) { return ImageOps.pad(this, padding, value); }
    @Override public DenseTensor conv2d(Tensor weight, int stride, int padding, int groups) {
        return ImageOps.conv2d(this, weight, stride, padding, groups);
    }
    @Override public DenseTensor upsampleNearest(int factor) { return ImageOps.upsampleNearest(this, factor); }
    @Override public DenseTensor avgPool2d(int kernel, int stride) { return ImageOps.avgPool2d(this, kernel, stride); }

    @Override public DenseTensor groupNorm(int groups, Tensor weight, Tensor bias, float eps) {
        return NormOps.groupNorm(this, groups, weight, bias, eps);
    }
    @Override public DenseTensor layerNorm(Tensor weight, Tensor bias, float eps) {
        return NormOps.layerNorm(this, weight, bias, eps);
    }
    @Override public DenseTensor rmsNorm(Tensor weight, float eps) { return NormOps.rmsNorm(this, weight, eps); }
}
