package org.minidiffusion.core.api;

/**
 * A base for layers that registers parameters and child layers under their names.
 *
 * <pre>{@code
 * final class Affine extends AbstractLayer {
 *     private final Parameter weight = parameter("weight", Tensor.ones(4));
 *     public Tensor forward(Tensor x) { return x.mul(weight.value()); }
 * }
 * }</pre>
 */
public abstract class AbstractLayer extends AbstractParameterized implements Layer {
    /** Creates a layer in training mode with no parameters or children yet. */
    protected AbstractLayer() {
    }
}
