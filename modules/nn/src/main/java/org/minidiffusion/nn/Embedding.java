package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** A lookup table of learned vectors, initialised from {@code N(0, 1)} as in PyTorch. */
public final class Embedding extends AbstractLayer {
    private final int count;
    private final int dim;
    private final Parameter weight; // (V, D)

    /**
     * Creates the table.
     *
     * @param count V, the number of entries
     * @param dim   D, the vector size
     * @param rng   the generator for the initial vectors
     */
    public Embedding(int count, int dim, Rng rng) {
        this.count = count;
        this.dim = dim;
        this.weight = parameter("weight", Init.normal(rng, 1f, count, dim));
    }

    /**
     * Returns the vectors of the given ids.
     *
     * @param ids entries in {@code [0, V)}
     * @return {@code (ids.length, D)}
     */
    public Tensor lookup(int... ids) {
        for (int id : ids) {
            if (id < 0 || id >= count) {
                throw new IllegalArgumentException("Embedding: id " + id + " is outside [0, " + count + ")");
            }
        }
        return weight.value().indexSelect(0, ids);
    }

    /**
     * Looks up a tensor of integer-valued ids of any shape.
     *
     * @param ids ids stored as floats
     * @return {@code ids.shape + (D)}
     */
    @Override
    public Tensor forward(Tensor ids) {
        float[] v = ids.toArray();
        int[] index = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            index[i] = (int) v[i];
            if (index[i] != v[i]) {
                throw new IllegalArgumentException("Embedding: id " + v[i] + " is not an integer");
            }
        }
        int[] shape = java.util.Arrays.copyOf(ids.shape().toArray(), ids.rank() + 1);
        shape[ids.rank()] = dim;
        return lookup(index).reshape(shape);
    }
}
