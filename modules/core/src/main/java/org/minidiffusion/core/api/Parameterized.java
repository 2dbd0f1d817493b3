package org.minidiffusion.core.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named, trainable parameters in a tree, like PyTorch's {@code nn.Module} without {@code forward}:
 * the common type of {@link Layer}s and of parts of a network whose entry point takes several
 * inputs (a U-Net, one of its levels), which have no one-tensor {@code forward} to offer.
 *
 * <p>Parameter names are hierarchical, joined with dots ({@code down.0.conv1.weight}), so
 * {@link #stateDict()} gives the same keys as a PyTorch state dict of the same structure.
 * Most implementations extend {@link AbstractParameterized} or {@link AbstractLayer}, which keep
 * the names and the mode.
 */
public interface Parameterized {

    /**
     * Returns every parameter of this layer and its children, by hierarchical name, in
     * registration order.
     *
     * @return an unmodifiable map
     */
    Map<String, Parameter> parameters();

    /**
     * Sets training mode (true) or evaluation mode (false), for this layer and its children.
     *
     * @param training the mode
     */
    void train(boolean training);

    /**
     * Returns whether the layer is in training mode.
     *
     * @return true in training mode
     */
    boolean isTraining();

    /**
     * Returns the current parameter values by name: views of the values, not copies, so those an
     * optimizer updates in place follow its later steps (copy them to keep them).
     *
     * @return a new map in registration order
     */
    default Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        parameters().forEach((name, p) -> out.put(name, p.value().detach()));
        return out;
    }

    /**
     * Replaces every parameter value; the keys must be exactly this layer's parameter names and
     * each shape must match. Nothing is changed unless everything matches.
     *
     * @param state values by name
     * @throws IllegalArgumentException naming the first missing or unexpected key
     * @throws ShapeException           naming the key whose shape differs
     */
    default void loadStateDict(Map<String, Tensor> state) {
        Map<String, Parameter> params = parameters();
        for (String key : params.keySet()) {
            if (!state.containsKey(key)) {
                throw new IllegalArgumentException("loadStateDict: missing key '" + key + "'");
            }
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Parameter p = params.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("loadStateDict: unexpected key '" + e.getKey()
                        + "'; this layer has " + params.size() + " parameters");
            }
            if (!p.shape().equals(e.getValue().shape())) {
                throw new ShapeException("loadStateDict", "shape mismatch for key '" + e.getKey()
                        + "' (expected, got)", p.shape(), e.getValue().shape());
            }
        }
        state.forEach((key, value) -> params.get(key).set(value));
    }
}
