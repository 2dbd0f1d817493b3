package org.minidiffusion.core.internal;

import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * What optimisers need from the tensor implementation: the only updates that write tensors in
 * place, on the {@linkplain Storage#mutable mutable storage} of parameters and state buffers and
 * nowhere else, and gradient norms without copying the gradients.
 *
 * <p>The updates are invisible to autograd: nothing is recorded and no gradient changes. Each write
 * stamps the storage with the tape's clock, so a backward pass that would read values overwritten
 * since its forward pass fails instead ({@link Tape}). The storage they write is never a
 * workspace's, so a recycle can neither take it back nor hand it to another tensor.
 */
final class OptimizerOps {
    private OptimizerOps() {
    }

    /** See {@link org.minidiffusion.core.api.TensorFactory#mutableCopy}. */
    static DenseTensor mutableCopy(Tensor t) {
        return DenseTensor.dense(t, "mutableCopy").mutableCopy();
    }

    /** See {@link org.minidiffusion.core.api.TensorFactory#isMutable}. */
    static boolean isMutable(Tensor t) {
        return DenseTensor.dense(t, "isMutable").isMutable();
    }

    /** See {@link org.minidiffusion.core.api.TensorFactory#adamStep}. */
    static void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                         float c1, float c2, float eps, float weightDecay, float gradScale) {
        String op = "adamStep";
        DenseTensor p = DenseTensor.dense(param, op);
        DenseTensor g = DenseTensor.cast(p.backend, p.shape, grad, op);
        DenseTensor mt = DenseTensor.cast(p.backend, p.shape, m, op);
        DenseTensor vt = DenseTensor.cast(p.backend, p.shape, v, op);
        if (!p.shape.equals(g.shape) || !p.shape.equals(mt.shape) || !p.shape.equals(vt.shape)) {
            throw new ShapeException(op, "the parameter, its gradient and both moments must have one shape "
                    + "(parameter, gradient, first moment, second moment)", p.shape, g.shape, mt.shape, vt.shape);
        }
        nonNegative(op, "the learning rate", lr);
        unitInterval(op, "beta1", beta1, false);
        unitInterval(op, "beta2", beta2, false);
        correction(op, "c1", c1);
        correction(op, "c2", c2);
        nonNegative(op, "eps", eps);
        nonNegative(op, "the weight decay", weightDecay);
        nonNegative(op, "the gradient scale", gradScale);
        float[] pd = p.writableData(op, "the parameter");
        float[] md = mt.writableData(op, "the first moment");
        float[] vd = vt.writableData(op, "the second moment");
        if (pd == md || pd == vd || md == vd) {
            throw new IllegalArgumentException(op + ": the parameter and its two moments must be three buffers, "
                    + "not one buffer passed twice");
        }
        float[] gd = g.values();
        if (gd == pd || gd == md || gd == vd) {
            gd = gd.clone(); // the kernel reads the gradient while it writes the others
        }
        p.k().adamStep(pd, gd, md, vd, p.shape.numel(), lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale);
        long now = Tape.tick();
        p.markWritten(now);
        mt.markWritten(now);
        vt.markWritten(now);
    }

    /** See {@link org.minidiffusion.core.api.TensorFactory#movingAverage}. */
    static void movingAverage(Tensor average, Tensor x, float decay) {
        String op = "movingAverage";
        DenseTensor a = DenseTensor.dense(average, op);
        DenseTensor xt = DenseTensor.cast(a.backend, a.shape, x, op);
        if (!a.shape.equals(xt.shape)) {
            throw new ShapeException(op, "the average and the new values must have one shape", a.shape, xt.shape);
        }
        unitInterval(op, "the decay", decay, true);
        float[] ad = a.writableData(op, "the average");
        float[] xd = xt.values();
        if (xd == ad) {
            xd = xd.clone(); // the kernel reads x while it writes the average
        }
        a.k().movingAverage(ad, xd, a.shape.numel(), decay);
        a.markWritten(Tape.tick());
    }

    /** See {@link org.minidiffusion.core.api.TensorFactory#sumOfSquares}. */
    static double sumOfSquares(Tensor t) {
        DenseTensor d = DenseTensor.dense(t, "sumOfSquares");
        float[] x = d.values(); // the storage itself when it holds exactly the values, as gradients do
        double sum = 0;
        for (int i = 0, n = d.shape.numel(); i < n; i++) {
            sum += (double) x[i] * x[i];            // exact: a product of two floats fits in a double
        }
        return sum;
    }

    /** Returns zeros of {@code shape} on a mutable storage of their own, on {@code backend}. */
    static DenseTensor mutableZeros(Backend backend, Shape shape) {
        return DenseTensor.mutableZeros(backend, shape);
    }

    private static void nonNegative(String op, String what, float value) {
        if (!(value >= 0f && value <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException(op + ": " + what + " must be finite and at least 0, got " + value);
        }
    }

    private static void unitInterval(String op, String what, float value, boolean closed) {
        if (!(value >= 0f && (closed ? value <= 1f : value < 1f))) {
            throw new IllegalArgumentException(op + ": " + what + " must be in [0, 1" + (closed ? "]" : ")")
                    + ", got " + value);
        }
    }

    private static void correction(String op, String what, float value) {
        if (!(value > 0f && value <= 1f)) {
            throw new IllegalArgumentException(op + ": the bias correction " + what + " must be in (0, 1], got " + value
                    + "; it is 1 - beta^t at step t >= 1");
        }
    }
}
