package org.minidiffusion.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Tensor;

/**
 * An indexed list of layers whose parameters are named {@code 0.weight}, {@code 1.weight}, ...,
 * like PyTorch's {@code nn.ModuleList}; its {@link #forward} applies them in order.
 *
 * @param <L> the layer type
 */
public final class LayerList<L extends Layer> extends AbstractLayer implements Iterable<L> {
    private final List<L> layers = new ArrayList<>();

    /** Creates an empty list. */
    public LayerList() {
    }

    /**
     * Appends a layer under the next index.
     *
     * @param layer the layer
     * @return this list
     */
    public LayerList<L> add(L layer) {
        layers.add(child(Integer.toString(layers.size()), layer));
        return this;
    }

    /**
     * Returns the layer at an index.
     *
     * @param index the position
     * @return the layer
     */
    public L get(int index) {
        if (index < 0 || index >= layers.size()) {
            throw new IndexOutOfBoundsException("LayerList: index " + index + " of " + layers.size() + " layers");
        }
        return layers.get(index);
    }

    /**
     * Returns the number of layers.
     *
     * @return the size
     */
    public int size() {
        return layers.size();
    }

    @Override
    public Iterator<L> iterator() {
        return Collections.unmodifiableList(layers).iterator();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (L layer : layers) {
            h = layer.forward(h);
        }
        return h;
    }
}
