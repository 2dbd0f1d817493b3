package org.minidiffusion.core.internal;

import java.util.List;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.TensorFactory;

/** The core's {@link TensorFactory}: dense tensors on buffers from the {@link BufferPool}. */
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
}
