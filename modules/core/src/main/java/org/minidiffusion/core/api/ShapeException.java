package org.minidiffusion.core.api;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Thrown when an operation is given shapes, dims or sizes it cannot work with.
 *
 * <p>The message always names the operation and every shape involved, for example
 * {@code "matmul: inner dims differ: (2, 3) @ (4, 5)"}.
 */
public final class ShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String op;

    /**
     * Creates an exception for {@code op}.
     *
     * @param op      the operation, such as {@code "matmul"}
     * @param problem what is wrong, in a few words
     * @param shapes  every shape involved, in argument order
     */
    public ShapeException(String op, String problem, Shape... shapes) {
        super(op + ": " + problem + (shapes.length == 0 ? "" : ": "
                + Arrays.stream(shapes).map(Shape::toString).collect(Collectors.joining(", "))));
        this.op = op;
    }

    /**
     * Returns the operation that rejected its arguments.
     *
     * @return the op name
     */
    public String op() {
        return op;
    }
}
