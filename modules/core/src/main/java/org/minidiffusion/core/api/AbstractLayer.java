package org.minidiffusion.core.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

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
public abstract class AbstractLayer implements Layer {
    private final Map<String, Parameter> ownParameters = new LinkedHashMap<>();
    private final Map<String, Layer> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Creates a layer in training mode with no parameters or children yet. */
    protected AbstractLayer() {
    }

    /**
     * Registers a parameter of this layer.
     *
     * @param name    a name without dots, unique within this layer
     * @param initial the initial value
     * @return the parameter
     */
    protected final Parameter parameter(String name, Tensor initial) {
        checkName(name);
        Parameter p = new Parameter(initial);
        ownParameters.put(name, p);
        return p;
    }

    /**
     * Registers a child layer, whose parameters appear under {@code name + "."}.
     *
     * @param name  a name without dots, unique within this layer; list indices are fine ("0")
     * @param child the child
     * @param <L>   the child's type
     * @return the child
     */
    protected final <L extends Layer> L child(String name, L child) {
        checkName(name);
        children.put(name, Objects.requireNonNull(child, "child layer '" + name + "' is null"));
        child.train(training);
        return child;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName()
                    + ": a parameter or child name must be non-empty and without dots, got '" + name + "'");
        }
        if (ownParameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is registered twice");
        }
    }

    @Override
    public Map<String, Parameter> parameters() {
        Map<String, Parameter> all = new LinkedHashMap<>(ownParameters);
        children.forEach((prefix, child) ->
                child.parameters().forEach((name, p) -> all.put(prefix + "." + name, p)));
        return Collections.unmodifiableMap(all);
    }

    /**
     * Returns the direct children by name.
     *
     * @return an unmodifiable map in registration order
     */
    public Map<String, Layer> children() {
        return Collections.unmodifiableMap(children);
    }

    @Override
    public void train(boolean training) {
        this.training = training;
        children.values().forEach(c -> c.train(training));
    }

    @Override
    public boolean isTraining() {
        return training;
    }
}
