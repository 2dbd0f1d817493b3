package org.minidiffusion.core.spi;

/** Element-wise binary functions {@code out = f(a, b)}. */
public enum BinaryOp {
    /** {@code a + b}. */
    ADD,
    /** {@code a - b}. */
    SUB,
    /** {@code a * b}. */
    MUL,
    /** {@code a / b}. */
    DIV,
    /** {@code 1} where {@code a == b}, else {@code 0}; not differentiable. */
    EQ;

    /**
     * Evaluates the function; this is the reference definition.
     *
     * @param a the left operand
     * @param b the right operand
     * @return {@code f(a, b)}
     */
    public float apply(float a, float b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case EQ: return a == b ? 1f : 0f;
            default: throw new AssertionError(this);
        }
    }
}
