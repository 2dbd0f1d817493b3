package org.minidiffusion.core.internal;

import java.util.List;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.TensorFactory;

/**
 * The core's {@link TensorFactory}: dense tensors on buffers from the {@link BufferPool}, and the
 * in-place updates of {@link OptimizerOps}.
 */
public final class DenseTensorFactory implements TensorFactory {
    /** Creates the factory; the service loader calls this. */
    public DenseTensorFactory() {
    }

    @Override
    public float[] allocate(int n) {
        return BufferPool.allocate(n);
    }

    @Override
    public float[] allocateZeroed(int n) {
        return BufferPool.allocateZeroed(n);
    }

    @Override
    public Tensor wrap(Backend backend, float[] data, Shape shape) {
        return DenseTensor.wrap(backend, data, shape);
    }

    @Override
    public Tensor concat(Backend backend, int dim, List<Tensor> parts) {
        return ShapeOps.concat(backend, dim, parts);
    }

    @Override
    public Tensor mutableCopy(Tensor values) {
        return OptimizerOps.mutableCopy(values);
    }

    @Override
    public Tensor mutableZeros(Backend backend, Shape shape) {
        return OptimizerOps.mutableZeros(backend, shape);
    }

    @Override
    public boolean isMutable(Tensor t) {
        return OptimizerOps.isMutable(t);
    }

    @Override
    public void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                         float c1, float c2, float eps, float weightDecay, float gradScale) {
        OptimizerOps.adamStep(param, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale);
    }

    @Override
    public void movingAverage(Tensor average, Tensor x, float decay) {
        OptimizerOps.movingAverage(average, x, decay);
    }

    @Override
    public double sumOfSquares(Tensor t) {
        return OptimizerOps.sumOfSquares(t);
    }
}
