package org.minidiffusion.nn;

import java.util.Arrays;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Rotary position embedding, RoPE (Su et al. 2021, eq. 34): rotates each pair of query and key
 * features by an angle proportional to the token's position, so that the score of two tokens depends
 * on their relative position only.
 *
 * <p>With one axis (text) the pair {@code i} of a head of size {@code d} turns by
 * {@code p · θ^(−2i/d)} at position {@code p}. With several axes (image patches, as Flux's
 * {@code EmbedND}) the head dim is split between the axes ({@code axesDims} sum to {@code d}), each
 * axis gets its own frequencies {@code θ^(−2i/d_a)} over its own part and turns by that axis's
 * coordinate. The rotation is {@code x·cos + rotate(x)·sin} (eq. 34), with cos/sin tables computed
 * once in double on the host; which features form a pair is the {@link Pairing}.
 *
 * <p>Queries and keys are usually RMS-normalised first (QK-norm, as SD3 and Flux): {@link RMSNorm}
 * over the last dim of {@code (B, H, L, d)} does exactly that.
 */
public final class RotaryEmbedding {
    /** Which two features of a head rotate together. */
    public enum Pairing {
        /** Pairs {@code (x[2i], x[2i+1])}, as the paper, Flux and GPT-J: rotate is {@code (−x[2i+1], x[2i])}. */
        INTERLEAVED,
        /**
         * Pairs {@code (x[i], x[i + d/2])}, as Hugging Face's Llama and GPT-NeoX: rotate is
         * {@code cat(−x2, x1)} of the halves. With several axes the first half holds the first
         * feature of every axis's pairs, axis by axis.
         */
        HALF_SPLIT
    }

    /** The cos and sin of every position and feature, {@code (L, d)} each, made by {@link #table}. */
    public record Table(Tensor cos, Tensor sin) {
    }

    private final int[] axesDims;
    private final int headDim;
    private final double theta;
    private final Pairing pairing;

    /**
     * Creates the embedding.
     *
     * @param axesDims the part of the head dim of each axis: one entry for text, such as
     *                 {@code (16, 56, 56)} for Flux's (text, row, column); each even and positive
     * @param theta    the base of the frequencies, such as 10000
     * @param pairing  which features rotate together
     */
    public RotaryEmbedding(int[] axesDims, double theta, Pairing pairing) {
        if (axesDims == null || axesDims.length == 0) {
            throw new IllegalArgumentException("RotaryEmbedding: needs at least one axis");
        }
        int sum = 0;
        for (int a = 0; a < axesDims.length; a++) {
            if (axesDims[a] <= 0 || axesDims[a] % 2 != 0) {
                throw new IllegalArgumentException("RotaryEmbedding: the dim of axis " + a + " is " + axesDims[a]
                        + " in " + Arrays.toString(axesDims) + "; each must be even and positive, as features rotate in pairs");
            }
            sum += axesDims[a];
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("RotaryEmbedding: theta must be positive and finite, got " + theta);
        }
        this.axesDims = axesDims.clone();
        this.headDim = sum;
        this.theta = theta;
        this.pairing = java.util.Objects.requireNonNull(pairing, "pairing");
    }

    /**
     * Creates a 1-D embedding for text over a whole head.
     *
     * @param headDim d, even
     * @param theta   the base of the frequencies
     * @param pairing which features rotate together
     * @return the embedding
     */
    public static RotaryEmbedding of1d(int headDim, double theta, Pairing pairing) {
        return new RotaryEmbedding(new int[] {headDim}, theta, pairing);
    }

    /**
     * Creates an axial embedding whose axes split a head as {@code axesDims} does, checking that they
     * fill it.
     *
     * @param headDim  d
     * @param axesDims the part of each axis, summing to d
     * @param theta    the base of the frequencies
     * @param pairing  which features rotate together
     * @return the embedding
     */
    public static RotaryEmbedding axial(int headDim, int[] axesDims, double theta, Pairing pairing) {
        RotaryEmbedding rope = new RotaryEmbedding(axesDims, theta, pairing);
        if (rope.headDim != headDim) {
            throw new IllegalArgumentException("RotaryEmbedding: the axes dims " + Arrays.toString(axesDims)
                    + " sum to " + rope.headDim + ", not to the head dim " + headDim);
        }
        return rope;
    }

    /** Returns d, the sum of the axes dims. */
    public int headDim() {
        return headDim;
    }

    /**
     * Returns the positions {@code 0, 1, ..., L−1} of a 1-D sequence.
     *
     * @param length L
     * @return {@code (L, 1)}
     */
    public static int[][] positions1d(int length) {
        int[][] p = new int[length][];
        for (int i = 0; i < length; i++) {
            p[i] = new int[] {i};
        }
        return p;
    }

    /**
     * Returns the (row, column) of each patch of an {@code h × w} grid in row-major order, the order
     * in which patchify emits them.
     *
     * @param h the rows
     * @param w the columns
     * @return {@code (h·w, 2)}
     */
    public static int[][] positions2d(int h, int w) {
        int[][] p = new int[h * w][];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                p[r * w + c] = new int[] {r, c};
            }
        }
        return p;
    }

    /**
     * Computes the cos and sin tables, once per sequence, to rotate queries and keys with.
     *
     * @param positions {@code (L, axes)}: the coordinate of each token on each axis
     * @return cos and sin, {@code (L, d)} each
     */
    public Table table(int[][] positions) {
        if (positions == null || positions.length == 0) {
            throw new IllegalArgumentException("RotaryEmbedding: no positions");
        }
        int len = positions.length;
        float[] cos = new float[len * headDim];
        float[] sin = new float[len * headDim];
        int half = headDim / 2;
        for (int t = 0; t < len; t++) {
            if (positions[t] == null || positions[t].length != axesDims.length) {
                throw new IllegalArgumentException("RotaryEmbedding: position " + t + " has "
                        + (positions[t] == null ? 0 : positions[t].length) + " coordinates, expected one per axis of "
                        + Arrays.toString(axesDims));
            }
            int pair = 0; // index of the pair over the whole head
            for (int a = 0; a < axesDims.length; a++) {
                int dim = axesDims[a];
                for (int i = 0; i < dim / 2; i++, pair++) {
                    double angle = positions[t][a] * Math.pow(theta, -2.0 * i / dim); // eq. 15: θ_i = θ^(−2i/d)
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    int first = pairing == Pairing.INTERLEAVED ? 2 * pair : pair;
                    int second = pairing == Pairing.INTERLEAVED ? 2 * pair + 1 : pair + half;
                    cos[t * headDim + first] = c;
                    cos[t * headDim + second] = c;
                    sin[t * headDim + first] = s;
                    sin[t * headDim + second] = s;
                }
            }
        }
        return new Table(Tensor.of(cos, len, headDim), Tensor.of(sin, len, headDim));
    }

    /**
     * Rotates queries or keys: {@code x·cos + rotate(x)·sin} (eq. 34).
     *
     * @param x     {@code (..., L, d)}, such as {@code (B, H, L, d)}
     * @param table the tables of the L positions
     * @return the rotated features, same shape
     */
    public Tensor apply(Tensor x, Table table) {
        if (x.rank() < 2 || x.size(-1) != headDim || x.size(-2) != table.cos().size(0)) {
            throw new ShapeException("RotaryEmbedding", "expects (..., L, " + headDim + ") with L = "
                    + table.cos().size(0) + " positions (head dim " + headDim + " = sum of axes dims "
                    + Arrays.toString(axesDims) + ")", x.shape());
        }
        return x.mul(table.cos()).add(rotate(x).mul(table.sin()));
    }

    /**
     * Rotates queries or keys at the given positions.
     *
     * @param x         {@code (..., L, d)}
     * @param positions {@code (L, axes)}
     * @return the rotated features
     */
    public Tensor apply(Tensor x, int[][] positions) {
        return apply(x, table(positions));
    }

    /** Returns the pair partner of every feature with the sign of a quarter turn. */
    private Tensor rotate(Tensor x) {
        int last = x.rank() - 1;
        if (pairing == Pairing.HALF_SPLIT) {
            int half = headDim / 2;
            return Tensor.concat(last, x.narrow(last, half, half).neg(), x.narrow(last, 0, half));
        }
        int[] pairs = Arrays.copyOf(x.shape().toArray(), x.rank() + 1); // (..., d/2, 2)
        pairs[last] = headDim / 2;
        pairs[last + 1] = 2;
        Tensor p = x.reshape(pairs);
        Tensor rotated = Tensor.concat(last + 1, p.narrow(last + 1, 1, 1).neg(), p.narrow(last + 1, 0, 1));
        return rotated.reshape(x.shape().toArray());
    }

    @Override
    public String toString() {
        return "RotaryEmbedding(axes " + Arrays.toString(axesDims) + ", theta " + theta + ", " + pairing + ")";
    }
}
