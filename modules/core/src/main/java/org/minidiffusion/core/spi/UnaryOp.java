package org.minidiffusion.core.spi;

/**
 * Element-wise functions {@code y = f(x; p, q)} with their derivatives.
 *
 * <p>{@link #apply} and {@link #derivative} are the reference definitions. Backends may evaluate them
 * differently (vectorised, approximated), but their results are checked against these.
 * The parameters {@code p} and {@code q} are used only by the ops that say so.
 */
public enum UnaryOp {
    /** {@code -x}. */
    NEG,
    /** {@code |x|}; the derivative at 0 is taken as 0. */
    ABS,
    /** {@code sqrt(x)}. */
    SQRT,
    /** {@code exp(x)}. */
    EXP,
    /** {@code ln(x)}. */
    LOG,
    /** {@code max(x, 0)}; the derivative at 0 is taken as 0, as in PyTorch. */
    RELU,
    /** {@code x * sigmoid(x)} (Hendrycks and Gimpel 2016; Ramachandran et al. 2017). */
    SILU,
    /** {@code x * Phi(x)}, the exact GELU with the Gaussian CDF (Hendrycks and Gimpel 2016, eq. 1). */
    GELU,
    /** The tanh approximation {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    GELU_TANH,
    /** {@code 1 / (1 + exp(-x))}. */
    SIGMOID,
    /** {@code tanh(x)}. */
    TANH,
    /** {@code x^p}; the derivative is 0 when {@code p = 0}, also at {@code x = 0}, as in PyTorch. */
    POW,
    /** {@code min(max(x, p), q)}; the derivative is 1 strictly inside {@code [p, q]} and on its edges. */
    CLAMP,
    /** {@code x + p}. */
    ADD_SCALAR,
    /** {@code x * p}. */
    MUL_SCALAR,
    /** {@code p / x}. */
    RDIV_SCALAR;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /**
     * Evaluates {@code f(x; p, q)}.
     *
     * @param x the input
     * @param p the first parameter, for {@link #POW}, {@link #CLAMP} and the scalar ops
     * @param q the second parameter, for {@link #CLAMP}
     * @return {@code f(x)} rounded to float
     */
    public float apply(float x, float p, float q) {
        switch (this) {
            case NEG: return -x;
            case ABS: return Math.abs(x);
            case SQRT: return (float) Math.sqrt(x);
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case RELU: return x > 0f ? x : 0f;
            case SILU: return (float) (x / (1.0 + Math.exp(-x)));
            case GELU: return (float) (0.5 * x * (1.0 + Erf.erf(x * INV_SQRT_2)));
            case GELU_TANH: {
                double inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                return (float) (0.5 * x * (1.0 + Math.tanh(inner)));
            }
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-x)));
            case TANH: return (float) Math.tanh(x);
            case POW: return (float) Math.pow(x, p);
            case CLAMP: return Math.min(Math.max(x, p), q);
            case ADD_SCALAR: return x + p;
            case MUL_SCALAR: return x * p;
            case RDIV_SCALAR: return p / x;
            default: throw new AssertionError(this);
        }
    }

    /**
     * Evaluates {@code df/dx} at {@code x}.
     *
     * @param x the input of the forward op
     * @param y the output of the forward op, {@code f(x)}, which some derivatives reuse
     * @param p the first parameter
     * @param q the second parameter
     * @return the derivative rounded to float
     */
    public float derivative(float x, float y, float p, float q) {
        switch (this) {
            case NEG: return -1f;
            case ABS: return x > 0f ? 1f : (x < 0f ? -1f : 0f);
            case SQRT: return 0.5f / y;
            case EXP: return y;
            case LOG: return 1f / x;
            case RELU: return x > 0f ? 1f : 0f;
            case SILU: {
                double s = 1.0 / (1.0 + Math.exp(-x));
                return (float) (s * (1.0 + x * (1.0 - s)));
            }
            case GELU: {
                double cdf = 0.5 * (1.0 + Erf.erf(x * INV_SQRT_2));
                double pdf = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
                return (float) (cdf + x * pdf);
            }
            case GELU_TANH: {
                double inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                double t = Math.tanh(inner);
                double dInner = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
                return (float) (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dInner);
            }
            case SIGMOID: return y * (1f - y);
            case TANH: return 1f - y * y;
            case POW: return p == 0f ? 0f : (float) (p * Math.pow(x, p - 1.0)); // not 0 * 0^-1 = NaN
            case CLAMP: return (x >= p && x <= q) ? 1f : 0f;
            case ADD_SCALAR: return 1f;
            case MUL_SCALAR: return p;
            case RDIV_SCALAR: return -p / (x * x);
            default: throw new AssertionError(this);
        }
    }
}
