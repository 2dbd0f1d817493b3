package org.minidiffusion.core.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A base that registers parameters and children under their names, for a part of a network with
 * no one-tensor {@code forward} (layers extend {@link AbstractLayer}, which adds it).
 *
 * <pre>{@code
 * final class Level extends AbstractParameterized {   // driven by its model, with several inputs
 *     final Conv2d conv = child("conv", new Conv2d(4, 4, 3, 1, 1, rng));
 *     final Parameter gate = parameter("gate", Tensor.ones(4));
 * }
 * }</pre>
 */
public abstract class AbstractParameterized implements Parameterized {
    private final Map<String, Parameter> ownParameters = new LinkedHashMap<>();
    private final Map<String, Parameterized> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Creates it in training mode with no parameters or children yet. */
    protected AbstractParameterized() {
    }

    /**
     * Registers a parameter of its own.
     *
     * @param name    a name without dots, unique within this one
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
     * Registers a child (a layer or another parameterized part), whose parameters appear under
     * {@code name + "."}.
     *
     * @param name  a name without dots, unique within this one; list indices are fine ("0")
     * @param child the child
     * @param <P>   the child's type
     * @return the child
     */
    protected final <P extends Parameterized> P child(String name, P child) {
        checkName(name);
        children.put(name, Objects.requireNonNull(child, "child '" + name + "' is null"));
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
    public Map<String, Parameterized> children() {
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
