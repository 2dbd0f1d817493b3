package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/** An affine map {@code y = x W^T + b} over the last dim, for inputs with any leading dims. */
public final class Linear extends AbstractLayer {
    private final int in;
    private final int out;
    private final Parameter weight; // (out, in)
    private final Parameter bias;   // (out), or null

    /**
     * Creates a layer with PyTorch's default initialisation.
     *
     * @param in      input features
     * @param out     output features
     * @param useBias whether to add a bias
     * @param rng     the generator for the initial weights
     */
    public Linear(int in, int out, boolean useBias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        this.weight = parameter("weight", Init.kaimingUniform(rng, in, out, in));
        this.bias = useBias ? parameter("bias", Init.kaimingUniform(rng, in, out)) : null;
    }

    /**
     * Creates a layer with a bias.
     *
     * @param in  input features
     * @param out output features
     * @param rng the generator for the initial weights
     */
    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    /**
     * Returns the weight, {@code (out, in)}.
     *
     * @return the weight parameter
     */
    public Parameter weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor x) { // (..., in) -> (..., out)
        if (x.rank() == 0 || x.size(-1) != in) {
            throw new ShapeException("Linear", "expects inputs whose last dim is " + in, x.shape());
        }
        Tensor y = x.matmul(weight.value().transpose(0, 1));
        return bias == null ? y : y.add(bias.value());
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + (bias == null ? ", no bias)" : ")");
    }
}
