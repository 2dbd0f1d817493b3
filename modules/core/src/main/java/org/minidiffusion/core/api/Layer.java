package org.minidiffusion.core.api;

/**
 * A differentiable function of one tensor with named, trainable parameters, like PyTorch's
 * {@code nn.Module}.
 *
 * <p>The parameters, their hierarchical names, the mode and the state dict come from
 * {@link Parameterized}. Most layers extend {@link AbstractLayer}, which keeps the names and the mode.
 */
public interface Layer extends Parameterized {

    /**
     * Computes the layer's output.
     *
     * @param input the input
     * @return the output
     */
    Tensor forward(Tensor input);
}
