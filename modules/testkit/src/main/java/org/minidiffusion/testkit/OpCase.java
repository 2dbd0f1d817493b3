package org.minidiffusion.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * One test case of one op: how to make its inputs and how to compute its outputs from them.
 *
 * @param op             the {@link Tensor} method tested, such as {@code "matmul"}
 * @param variant        what this case exercises, such as {@code "broadcast batch"}
 * @param inputs         the inputs, each a shape and a value generator
 * @param fn             the computation; it may first take views of its inputs (transposes,
 *                       narrows) to feed the op non-contiguous tensors
 * @param differentiable whether to back-propagate and check gradients
 * @param gradScale      the standard deviation of the random output gradient, below 1 where the
 *                       backward pass sums many terms, so that its partial sums stay of order 1
 */
record OpCase(String op, String variant, List<Input> inputs, Fn fn, boolean differentiable, double gradScale) {

    /** The largest input, in elements, whose gradient is checked with finite differences. */
    static final int GRADCHECK_MAX_ELEMENTS = 72;

    /** A computation from input tensors to output tensors. */
    @FunctionalInterface
    interface Fn {
        /**
         * Computes the outputs.
         *
         * @param in the inputs, in the order of {@link OpCase#inputs()}
         * @return at least one output
         */
        List<Tensor> apply(List<Tensor> in);
    }

    /**
     * One input: its shape and how its values are drawn.
     *
     * @param shape the dims
     * @param gen   the values
     */
    record Input(int[] shape, Gen gen) {
        /**
         * Copies the shape.
         *
         * @param shape the dims
         * @param gen   the values
         */
        Input {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /**
         * Returns the number of elements.
         *
         * @return the element count
         */
        int numel() {
            return Shape.of(shape).numel();
        }
    }

    /**
     * Copies the input list.
     *
     * @param op             the op
     * @param variant        the variant
     * @param inputs         the inputs
     * @param fn             the computation
     * @param differentiable whether gradients are checked
     * @param gradScale      the output gradient's scale
     */
    OpCase {
        inputs = List.copyOf(inputs);
    }

    /**
     * Returns the test's display name: op, variant and input shapes.
     *
     * @return the name, such as {@code "add broadcast trailing dim (2,3,4)|(4)"}
     */
    String name() {
        StringJoiner shapes = new StringJoiner("|");
        for (Input in : inputs) {
            StringJoiner s = new StringJoiner(",", "(", ")");
            for (int d : in.shape) {
                s.add(Integer.toString(d));
            }
            shapes.add(s.toString());
        }
        return op + " " + variant + " " + shapes;
    }

    /**
     * Returns the seed of this case's random values; {@link String#hashCode()} is specified, so the
     * seed is the same on every JVM and does not change when other cases are added.
     *
     * @return the seed
     */
    long seed() {
        return name().hashCode();
    }

    /**
     * Draws the input values, the same on every call.
     *
     * @return one row-major array per input
     */
    List<float[]> generate() {
        Rng rng = new Rng(seed());
        List<float[]> data = new ArrayList<>();
        for (Input in : inputs) {
            data.add(in.gen.make(rng, in.numel()));
        }
        return data;
    }

    /**
     * Returns whether every input is small enough for a finite-difference check.
     *
     * @return whether each input has at most {@link #GRADCHECK_MAX_ELEMENTS} elements
     */
    boolean small() {
        return inputs.stream().allMatch(in -> in.numel() <= GRADCHECK_MAX_ELEMENTS);
    }

    /**
     * Creates the inputs on a backend as fresh leaves.
     *
     * @param backend      the backend
     * @param data         the values, from {@link #generate()}
     * @param requiresGrad whether to mark them trainable
     * @return the leaves
     */
    List<Tensor> leaves(Backend backend, List<float[]> data, boolean requiresGrad) {
        List<Tensor> ts = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = backend.of(data.get(i), inputs.get(i).shape);
            ts.add(requiresGrad ? t.requireGrad() : t);
        }
        return ts;
    }

    /**
     * Runs the computation on {@code backend}, which is made current while it runs.
     *
     * @param backend the backend
     * @param in      the inputs, on that backend
     * @return the outputs
     */
    List<Tensor> run(Backend backend, List<Tensor> in) {
        List<Tensor> out = backend.call(() -> fn.apply(in));
        if (out == null || out.isEmpty()) {
            throw new IllegalStateException("case " + name() + " returned no output");
        }
        return out;
    }
}
