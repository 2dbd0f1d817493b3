package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;

/**
 * Patchify (Dosovitskiy et al. 2021; DiT section 3.1): a p×p convolution of stride p maps each
 * patch to a token, and a fixed 2-D sine-cosine position table is added (diffusers' {@code PatchEmbed},
 * timm's {@code PatchEmbed} plus DiT's {@code pos_embed}).
 *
 * <p>The table covers an {@code M × M} grid of patches; an input of {@code h × w} patches takes the
 * centre crop starting at row {@code (M − h)/2} and column {@code (M − w)/2}, as SD3's
 * {@code pos_embed_max_size} does. Token {@code (i, j)} (row i, column j) gets
 * {@code [sincos(D/2, c·j), sincos(D/2, c·i)]} with {@code sincos(n, x) = [sin(x·ω_k), cos(x·ω_k)]},
 * {@code ω_k = 10000^(−2k/n)} and the coordinate factor {@code c = baseSize / M} (MAE's and diffusers'
 * {@code get_2d_sincos_pos_embed}), computed in double. In SD3 the table is a persistent buffer stored in
 * checkpoints as {@code pos_embed.pos_embed} {@code (1, M², D)}, so here it is a parameter of that name
 * (initialised with the table); in DiT it is a fixed table and not a parameter.
 */
public final class PatchEmbed extends AbstractLayer {
    private final int patch;
    private final int dim;
    private final int tableSize;
    private final boolean cropAllowed;
    private final Conv2d proj;
    private final float[] fixedTable; // null when the table is a parameter
    private final Parameter table;    // null when the table is fixed

    /**
     * Creates the embedding.
     *
     * @param inChannels      C
     * @param dim             D, the token size, divisible by 4
     * @param patch           p
     * @param tableSize       M, the side of the position table in patches
     * @param baseSize        the grid side the coordinates are scaled to ({@code sample_size / p} in SD3, M in DiT)
     * @param tableIsParameter whether the table is the parameter {@code pos_embed} (SD3) or fixed (DiT)
     * @param cropAllowed     whether smaller inputs take a centre crop; otherwise inputs must be M × M patches
     * @param rng             the generator for the initial convolution weights
     */
    public PatchEmbed(int inChannels, int dim, int patch, int tableSize, int baseSize, boolean tableIsParameter,
                      boolean cropAllowed, Rng rng) {
        if (dim % 4 != 0) {
            throw new IllegalArgumentException("PatchEmbed: the 2-D sine-cosine table needs a token size divisible by 4, got "
                    + dim);
        }
        if (patch <= 0 || tableSize <= 0 || baseSize <= 0) {
            throw new IllegalArgumentException("PatchEmbed: patch, table and base sizes must be positive, got "
                    + patch + ", " + tableSize + ", " + baseSize);
        }
        this.patch = patch;
        this.dim = dim;
        this.tableSize = tableSize;
        this.cropAllowed = cropAllowed;
        this.proj = child("proj", new Conv2d(inChannels, dim, patch, patch, 0, rng));
        float[] values = sincos2d(dim, tableSize, baseSize);
        this.fixedTable = tableIsParameter ? null : values;
        this.table = tableIsParameter ? parameter("pos_embed", Tensor.of(values, 1, tableSize * tableSize, dim)) : null;
    }

    /**
     * Returns the 2-D sine-cosine table of the class comment.
     *
     * @param dim      D, divisible by 4
     * @param grid     M
     * @param baseSize the grid side the coordinates are scaled to
     * @return {@code M·M·D} values, row-major {@code (M·M, D)}
     */
    static float[] sincos2d(int dim, int grid, int baseSize) {
        int quarter = dim / 4;
        float[] out = new float[grid * grid * dim];
        for (int i = 0; i < grid; i++) {
            for (int j = 0; j < grid; j++) {
                int base = (i * grid + j) * dim;
                double row = i / ((double) grid / baseSize);
                double col = j / ((double) grid / baseSize);
                for (int k = 0; k < quarter; k++) {
                    double omega = 1.0 / Math.pow(10000.0, k / (double) quarter);
                    out[base + k] = (float) Math.sin(col * omega);
                    out[base + quarter + k] = (float) Math.cos(col * omega);
                    out[base + 2 * quarter + k] = (float) Math.sin(row * omega);
                    out[base + 3 * quarter + k] = (float) Math.cos(row * omega);
                }
            }
        }
        return out;
    }

    @Override
    public Tensor forward(Tensor x) { // (B, C, H, W) -> (B, h·w, D)
        if (x.rank() != 4 || x.size(2) % patch != 0 || x.size(3) % patch != 0) {
            throw new ShapeException("PatchEmbed", "expects (B, C, H, W) with H and W multiples of the patch size " + patch,
                    x.shape());
        }
        int h = x.size(2) / patch;
        int w = x.size(3) / patch;
        if (h > tableSize || w > tableSize || (!cropAllowed && (h != tableSize || w != tableSize))) {
            throw new ShapeException("PatchEmbed", "an input of " + h + "x" + w + " patches does not fit the position table of "
                    + tableSize + "x" + tableSize + " patches" + (cropAllowed ? "" : " (it must match it exactly)"), x.shape());
        }
        Tensor tokens = proj.forward(x).reshape(x.size(0), dim, h * w).transpose(1, 2); // (B, h·w, D)
        Tensor full = table != null ? table.value() : x.backend().of(fixedTable, 1, tableSize * tableSize, dim);
        Tensor pos = full;
        if (h != tableSize || w != tableSize) {
            int top = (tableSize - h) / 2;
            int left = (tableSize - w) / 2;
            pos = full.reshape(1, tableSize, tableSize, dim).narrow(1, top, h).narrow(2, left, w).reshape(1, h * w, dim);
        }
        return tokens.add(pos);
    }

    /**
     * Reassembles images from per-token patches, the inverse of patchify: token {@code (i, j)}'s
     * features, ordered {@code (p, q, c)}, become pixel {@code (c, i·p + p', j·p + q')}.
     *
     * @param x        {@code (B, h·w, p·p·C)}
     * @param h        patch rows
     * @param w        patch columns
     * @param patch    p
     * @param channels C
     * @return {@code (B, C, h·p, w·p)}
     */
    public static Tensor unpatchify(Tensor x, int h, int w, int patch, int channels) {
        if (x.rank() != 3 || x.size(1) != h * w || x.size(2) != patch * patch * channels) {
            throw new ShapeException("unpatchify", "expects (B, " + h * w + ", " + patch * patch * channels + ") for "
                    + h + "x" + w + " patches of " + patch + "x" + patch + "x" + channels, x.shape());
        }
        int b = x.size(0);
        return x.reshape(b, h, w, patch, patch, channels)  // (B, h, w, p, q, C)
                .permute(0, 5, 1, 3, 2, 4)                 // (B, C, h, p, w, q)
                .reshape(b, channels, h * patch, w * patch);
    }
}
