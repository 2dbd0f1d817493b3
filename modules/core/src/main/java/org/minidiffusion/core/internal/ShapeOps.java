package org.minidiffusion.core.internal;

import static org.minidiffusion.core.internal.Tape.grads;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Views and shape ops, each forward beside its backward: reshape, permute, transpose,
 * (un)squeeze, broadcastTo, narrow, split, chunk, indexSelect and concat, plus the broadcasting
 * rules the other families share.
 *
 * <p>A view shares its input's storage with new dims and strides, so it copies nothing; its
 * backward is the inverse view (permute's inverse permutation, narrow's zero padding, ...).
 */
final class ShapeOps {
    private ShapeOps() {
    }

    // ================================================================== broadcasting

    /** Returns the shape {@code a} and {@code b} broadcast to, numpy's rules. */
    static int[] broadcastShapes(String op, Shape a, Shape b) {
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

    /** Returns the strides of {@code x} for reading it broadcast to {@code target} (0 where repeated). */
    static int[] broadcastStrides(DenseTensor x, int[] target) {
        int lead = target.length - x.dims.length;
        int[] s = new int[target.length];
        for (int i = 0; i < x.dims.length; i++) {
            s[lead + i] = (x.dims[i] == 1 && target[lead + i] != 1) ? 0 : x.strides[i];
        }
        return s;
    }

    /** Returns the sum of {@code g} over the dims that broadcasting added to reach {@code target}. */
    static DenseTensor sumTo(DenseTensor g, Shape target) {
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

    /** Returns {@code 0, 1, ..., rank - 1}. */
    static int[] allDims(DenseTensor x) {
        int[] all = new int[x.dims.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    // ================================================================== views

    static DenseTensor reshape(DenseTensor x, int... newShape) {
        if (newShape == null) {
            throw new ShapeException("reshape", "the new shape is null", x.shape);
        }
        int[] target = newShape.clone();
        int infer = -1;
        int known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1 && infer < 0) {
                infer = i;
            } else if (target[i] < 0) {
                throw new ShapeException("reshape", "invalid size in " + Arrays.toString(newShape), x.shape);
            } else {
                known *= target[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || x.shape.numel() % known != 0) {
                throw new ShapeException("reshape", "cannot infer -1 in " + Arrays.toString(newShape), x.shape);
            }
            target[infer] = x.shape.numel() / known;
        }
        if (DenseTensor.product(target, 0, target.length) != x.shape.numel()) {
            throw new ShapeException("reshape", "element counts differ", x.shape, Shape.of(target));
        }
        Shape in = x.shape;
        Tape.Backward back = g -> grads(g.reshape(in.toArray()));
        if (x.isContiguous()) {
            return x.view("reshape", x.storage(), x.offset, target, DenseTensor.rowMajorStrides(target), back, x);
        }
        return x.result("reshape", x.values(), target, back, x);
    }

    static DenseTensor permute(DenseTensor x, int... order) {
        if (order == null || order.length != x.dims.length) {
            throw new ShapeException("permute", "needs a permutation of " + x.dims.length + " dims, got "
                    + (order == null ? "null" : Arrays.toString(order)), x.shape);
        }
        int[] perm = new int[order.length];
        boolean[] used = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            perm[i] = x.shape.axis("permute", order[i]);
            if (used[perm[i]]) {
                throw new ShapeException("permute", Arrays.toString(order) + " is not a permutation", x.shape);
            }
            used[perm[i]] = true;
        }
        int[] nd = new int[perm.length];
        int[] ns = new int[perm.length];
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            nd[i] = x.dims[perm[i]];
            ns[i] = x.strides[perm[i]];
            inverse[perm[i]] = i;
        }
        return x.view("permute", x.storage(), x.offset, nd, ns, g -> grads(g.permute(inverse)), x);
    }

    static DenseTensor transpose(DenseTensor x, int dim0, int dim1) {
        int a = x.shape.axis("transpose", dim0);
        int b = x.shape.axis("transpose", dim1);
        int[] order = allDims(x);
        order[a] = b;
        order[b] = a;
        return x.permute(order);
    }

    static DenseTensor unsqueeze(DenseTensor x, int dim) {
        int r = x.dims.length;
        if (dim < -(r + 1) || dim > r) {
            throw new ShapeException("unsqueeze", "dim " + dim + " is out of range for rank " + r, x.shape);
        }
        int d = dim < 0 ? dim + r + 1 : dim;
        int[] nd = new int[r + 1];
        int[] ns = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == d) {
                nd[i] = 1;
                ns[i] = j < r ? x.strides[j] * x.dims[j] : 1;
            } else {
                nd[i] = x.dims[j];
                ns[i] = x.strides[j++];
            }
        }
        return x.view("unsqueeze", x.storage(), x.offset, nd, ns, g -> grads(g.squeeze(d)), x);
    }

    static DenseTensor squeeze(DenseTensor x, int dim) {
        int d = x.shape.axis("squeeze", dim);
        if (x.dims[d] != 1) {
            throw new ShapeException("squeeze", "dim " + dim + " has size " + x.dims[d] + ", not 1", x.shape);
        }
        int[] nd = new int[x.dims.length - 1];
        int[] ns = new int[x.dims.length - 1];
        for (int i = 0, j = 0; i < x.dims.length; i++) {
            if (i != d) {
                nd[j] = x.dims[i];
                ns[j++] = x.strides[i];
            }
        }
        return x.view("squeeze", x.storage(), x.offset, nd, ns, g -> grads(g.unsqueeze(d)), x);
    }

    static DenseTensor broadcastTo(DenseTensor x, int... target) {
        if (target == null) {
            throw new ShapeException("broadcastTo", "the target shape is null", x.shape);
        }
        Shape t = Shape.of(target);
        int[] out;
        try {
            out = broadcastShapes("broadcastTo", x.shape, t);
        } catch (ShapeException e) {
            throw new ShapeException("broadcastTo", "cannot broadcast", x.shape, t);
        }
        if (!Arrays.equals(out, target)) {
            throw new ShapeException("broadcastTo", "cannot broadcast", x.shape, t);
        }
        Shape in = x.shape;
        return x.view("broadcastTo", x.storage(), x.offset, out, broadcastStrides(x, out), g -> grads(sumTo(g, in)), x);
    }

    static DenseTensor narrow(DenseTensor x, int dim, int start, int length) {
        int d = x.shape.axis("narrow", dim);
        if (start < 0 || length < 0 || start + length > x.dims[d]) {
            throw new ShapeException("narrow", "start " + start + " and length " + length
                    + " do not fit dim " + dim + " of size " + x.dims[d], x.shape);
        }
        int[] nd = x.dims.clone();
        nd[d] = length;
        int before = start;
        int after = x.dims[d] - start - length;
        int[] padding = new int[2 * (x.dims.length - d)];
        padding[padding.length - 2] = before;
        padding[padding.length - 1] = after;
        return x.view("narrow", x.storage(), x.offset + start * x.strides[d], nd, x.strides.clone(),
                g -> grads(g.pad(padding, 0f)), x);
    }

    static List<Tensor> split(DenseTensor x, int splitSize, int dim) {
        int d = x.shape.axis("split", dim);
        if (splitSize <= 0) {
            throw new ShapeException("split", "split size must be positive, got " + splitSize, x.shape);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int start = 0; start < x.dims[d]; start += splitSize) {
            parts.add(x.narrow(d, start, Math.min(splitSize, x.dims[d] - start)));
        }
        return Collections.unmodifiableList(parts);
    }

    static List<Tensor> chunk(DenseTensor x, int chunks, int dim) {
        int d = x.shape.axis("chunk", dim);
        if (chunks <= 0) {
            throw new ShapeException("chunk", "the number of chunks must be positive, got " + chunks, x.shape);
        }
        int size = Math.max(1, (x.dims[d] + chunks - 1) / chunks);
        return x.split(size, d);
    }

    // ================================================================== copies

    static DenseTensor indexSelect(DenseTensor x, int dim, int... index) {
        int d = x.shape.axis("indexSelect", dim);
        if (index == null) {
            throw new ShapeException("indexSelect", "the index array is null", x.shape);
        }
        int[] idx = index.clone();
        for (int i : idx) {
            if (i < 0 || i >= x.dims[d]) {
                throw new ShapeException("indexSelect", "index " + i + " is out of range for dim " + dim
                        + " of size " + x.dims[d], x.shape);
            }
        }
        int outer = DenseTensor.product(x.dims, 0, d);
        int inner = DenseTensor.product(x.dims, d + 1, x.dims.length);
        int[] nd = x.dims.clone();
        nd[d] = idx.length;
        float[] out = BufferPool.allocate(DenseTensor.product(nd, 0, nd.length));
        if (out.length > 0) {
            x.k().gather(x.values(), outer, x.dims[d], inner, idx, out);
        }
        int length = x.dims[d];
        return x.result("indexSelect", out, nd, g -> {
            float[] gx = BufferPool.allocate(outer * length * inner);
            x.k().scatterAdd(g.values(), outer, length, inner, idx, gx);
            return grads(x.leaf(gx, x.dims));
        }, x);
    }

    /**
     * Concatenates tensors along {@code dim}.
     *
     * @param backend the backend they must all live on
     * @param dim     the dim
     * @param parts   the tensors
     * @return the joined tensor
     */
    static DenseTensor concat(Backend backend, int dim, List<Tensor> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new ShapeException("concat", "needs at least one tensor");
        }
        DenseTensor[] ts = new DenseTensor[parts.size()];
        Shape[] shapes = new Shape[ts.length];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = DenseTensor.cast(backend, i == 0 ? Shape.of() : shapes[0], parts.get(i), "concat");
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
        float[] out = BufferPool.allocate(DenseTensor.product(nd, 0, nd.length)); // the parts' copies tile it
        int[] outStrides = DenseTensor.rowMajorStrides(nd);
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
}
