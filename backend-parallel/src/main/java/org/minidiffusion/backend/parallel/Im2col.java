package org.minidiffusion.backend.parallel;

import java.util.Arrays;

import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Reads and writes im2col matrices a row segment at a time, for {@link Packing} and
 * {@link PackedConvolution}. They write every element of the block asked for, zeroing only those
 * that read the padding, so no buffer needs zeroing beforehand.
 *
 * <p>Row {@code q = (ci, ky, kx)} of image {@code n}'s im2col matrix, for the group whose input
 * channels start at {@code c0}, holds {@code x[n][c0 + ci][oy sH - pH + ky][ox sW - pW + kx]} at
 * column {@code (oy, ox)}, zero in the padding. Along an output row, that is a run of one input
 * row, so segments are copied with unit input stride when {@code sW = 1}, and the padding is
 * handled by computing the in-bounds range of {@code ox} once per segment. At stride 1 with
 * {@code OW = W} a whole im2col row is the input plane shifted, so a panel's pixels are one copy
 * even when they span several output rows.
 */
final class Im2col {

    private Im2col() {
    }

    /**
     * Writes columns {@code [j0, j0 + count)} of im2col row {@code q} to {@code dst[d ..]}.
     *
     * @param g     the geometry
     * @param x     the input images
     * @param n     the image
     * @param c0    the group's first input channel
     * @param q     the im2col row, {@code (ci * KH + ky) * KW + kx}
     * @param j0    the first output pixel
     * @param count the number of pixels
     * @param dst   the destination
     * @param d     the first destination index
     */
    static void gather(Conv2dGeometry g, float[] x, int n, int c0, int q, int j0, int count,
                       float[] dst, int d) {
        Row row = Row.of(g, n, c0, q);
        int ow = g.outWidth();
        for (int i = 0; i < count; ) {
            int oy = (j0 + i) / ow;
            int ox = (j0 + i) - oy * ow;
            int len = Math.min(ow - ox, count - i);
            row.run(g, x, oy, ox, len, dst, d + i);
            i += len;
        }
    }

    /**
     * Writes columns {@code [j0, j0 + count)} of im2col row {@code q} into panels of width
     * {@code w}: column {@code j0 + j} goes to {@code dst[d + (j / w) * panelStride + j % w]}, and
     * the lanes of the last panel past {@code count} are zeroed. This is one contraction step of
     * the packed B of a forward convolution; it walks the pixels a run of one output row and one
     * panel at a time, with no division per run.
     *
     * @param g           the geometry
     * @param x           the input images
     * @param n           the image
     * @param c0          the group's first input channel
     * @param q           the im2col row
     * @param j0          the first output pixel
     * @param count       the number of pixels
     * @param w           the panel width
     * @param dst         the destination
     * @param d           the first destination index
     * @param panelStride the stride from one panel to the next
     */
    static void gatherPanels(Conv2dGeometry g, float[] x, int n, int c0, int q, int j0, int count, int w,
                             float[] dst, int d, int panelStride) {
        Row row = Row.of(g, n, c0, q);
        int ow = g.outWidth();
        int oy = j0 / ow;
        int ox = j0 - oy * ow;
        int lane = 0;
        for (int j = 0; j < count; ) {
            int len = Math.min(Math.min(ow - ox, count - j), w - lane);
            row.run(g, x, oy, ox, len, dst, d + lane);
            j += len;
            lane += len;
            ox += len;
            if (ox == ow) {
                ox = 0;
                oy++;
            }
            if (lane == w) {
                lane = 0;
                d += panelStride;
            }
        }
        if (lane > 0) {
            zero(dst, d + lane, d + w);
        }
    }

    /**
     * Packs columns {@code [j0, j0 + count)} of im2col rows {@code [q0, q0 + kc)} into panels of
     * width {@code w}: column {@code j0 + j} of row {@code q0 + p} goes to
     * {@code dst[d + (j / w) kc w + p w + j % w]}, and the lanes of the last panel past
     * {@code count} are zeroed. This is a block of the packed B of a forward convolution.
     *
     * @param g     the geometry
     * @param x     the input images
     * @param n     the image
     * @param c0    the group's first input channel
     * @param j0    the first output pixel
     * @param count the number of pixels
     * @param q0    the first im2col row
     * @param kc    the number of rows
     * @param w     the panel width
     * @param dst   the destination
     * @param d     the first destination index
     */
    static void packColumns(Conv2dGeometry g, float[] x, int n, int c0, int j0, int count, int q0, int kc,
                            int w, float[] dst, int d) {
        if (g.strideH() == 1 && g.strideW() == 1 && g.outWidth() == g.width()) {
            shiftedColumns(g, x, n, c0, j0, count, q0, kc, w, dst, d);
            return;
        }
        for (int p = 0; p < kc; p++) {
            gatherPanels(g, x, n, c0, q0 + p, j0, count, w, dst, d + p * w, kc * w);
        }
    }

    /**
     * {@link #packColumns} for stride 1 and {@code OW = W}, as in a "same" convolution: each panel's
     * run of pixels of each im2col row is one {@link Shifted#run}, whatever output rows it spans.
     * The panels are written one after another, each row by row, so the writes are sequential.
     */
    private static void shiftedColumns(Conv2dGeometry g, float[] x, int n, int c0, int j0, int count,
                                       int q0, int kc, int w, float[] dst, int d) {
        Shifted s = new Shifted(g);
        int taps = g.kernelH() * g.kernelW();
        int plane0 = (n * g.inChannels() + c0 + q0 / taps) * s.planeSize;
        for (int j = 0; j < count; j += w) {
            int p0 = j0 + j;
            int p1 = p0 + Math.min(w, count - j);
            int rowStart = p0 / s.ow * s.ow; // the output row of pixel p0 starts at pixel rowStart
            int plane = plane0;
            int ky = q0 % taps / g.kernelW();
            int kx = q0 % g.kernelW();
            for (int p = 0, at = d + j * kc; p < kc; p++, at += w) {
                s.run(x, plane, ky, kx, p0, p1, rowStart, dst, at - p0);
                if (p1 - p0 < w) {
                    zero(dst, at + p1 - p0, at + w); // lanes past count
                }
                if (++kx == g.kernelW()) {
                    kx = 0;
                    if (++ky == g.kernelH()) {
                        ky = 0;
                        plane += s.planeSize;
                    }
                }
            }
        }
    }

    /**
     * The im2col rows of a convolution of stride 1 and {@code OW = W}, each the input plane
     * shifted: pixel {@code j} of the row of tap {@code (ky, kx)} reads
     * {@code plane[j + (ky - pH) W + kx - pW]} unless that lies in the padding. The sizes are read
     * from the geometry once, since its output sizes take a division each.
     */
    private static final class Shifted {
        final int ow;
        final int oh;
        final int h;
        final int ph;
        final int pw;
        final int planeSize;

        Shifted(Conv2dGeometry g) {
            ow = g.outWidth();
            oh = g.outHeight();
            h = g.height();
            ph = g.padH();
            pw = g.padW();
            planeSize = g.height() * g.width();
        }

        /**
         * Writes pixels {@code [j0, j1)} of the row of tap {@code (ky, kx)} of the plane at
         * {@code x[plane]} to {@code dst[base + j]}: one copy, after which only the pixels that
         * read the padding are zeroed, whole output rows above and below the plane and the first
         * or last columns of each row. The output row of pixel {@code j0} starts at
         * {@code rowStart}.
         */
        void run(float[] x, int plane, int ky, int kx, int j0, int j1, int rowStart, float[] dst, int base) {
            int shift = (ky - ph) * ow + kx - pw;
            // the source of pixel j is x[plane + j + shift], inside the plane for -shift <= j < size - shift
            int lo = Math.max(Math.max(0, ph - ky) * ow, -shift);
            int hi = Math.min(Math.min(oh, h + ph - ky) * ow, planeSize - shift);
            int a = Math.min(Math.max(lo, j0), j1);
            int b = Math.max(a, Math.min(hi, j1));
            zero(dst, base + j0, base + a);
            if (a < b) {
                System.arraycopy(x, plane + shift + a, dst, base + a, b - a);
            }
            zero(dst, base + b, base + j1);
            if (kx != pw && a < b) {
                // output columns reading the left (kx < pW) or right (kx > pW) padding
                int left = Math.min(ow, Math.max(0, pw - kx));
                int right = Math.min(ow, Math.max(0, kx - pw));
                zeroPadColumns(dst, base, a, b, rowStart, ow, left, right);
            }
        }
    }

    /**
     * Copies the block of rows {@code [q0, q0 + rows)} and columns {@code [p0, p0 + kc)} of the
     * im2col matrices of all images side by side, row-major: column {@code n P + j} of row
     * {@code q0 + r}, that is {@code col_n[q0 + r][j]} for {@code P} output pixels, goes to
     * {@code dst[d + r kc + n P + j - p0]}. This is a block of the A operand of the transposed weight
     * gradient, which the micro-kernel reads in place. Each row is written once, in runs of one
     * image: for a same-width stride-1 convolution a run is one copy ({@link Shifted#run}), else a
     * copy per output row; only the pixels that read the padding are zeroed.
     *
     * @param g    the geometry
     * @param x    the input images
     * @param c0   the group's first input channel
     * @param q0   the first im2col row
     * @param rows the number of rows
     * @param p0   the first column, over (image, pixel)
     * @param kc   the number of columns
     * @param dst  the destination
     * @param d    the first destination index
     */
    static void copyRows(Conv2dGeometry g, float[] x, int c0, int q0, int rows, int p0, int kc,
                         float[] dst, int d) {
        int kh = g.kernelH();
        int kw = g.kernelW();
        int pixels = g.outHeight() * g.outWidth();
        int planeSize = g.height() * g.width();
        Shifted shifted = g.strideH() == 1 && g.strideW() == 1 && g.outWidth() == g.width() ? new Shifted(g) : null;
        int ci = q0 / (kh * kw);
        int ky = q0 % (kh * kw) / kw;
        int kx = q0 % kw;
        for (int r = 0, row = d; r < rows; r++, row += kc) {
            for (int p = 0; p < kc; ) {
                int n = (p0 + p) / pixels;
                int j = p0 + p - n * pixels;
                int len = Math.min(kc - p, pixels - j);
                if (shifted != null) {
                    int plane = (n * g.inChannels() + c0 + ci) * planeSize; // x[n][c0 + ci] (H, W)
                    shifted.run(x, plane, ky, kx, j, j + len, j / shifted.ow * shifted.ow, dst, row + p - j);
                } else {
                    gather(g, x, n, c0, q0 + r, j, len, dst, row + p);
                }
                p += len;
            }
            if (++kx == kw) {
                kx = 0;
                if (++ky == kh) {
                    ky = 0;
                    ci++;
                }
            }
        }
    }

    /**
     * Zeroes {@code dst[base + p]} for the pixels {@code a <= p < b} in the first {@code left} or
     * last {@code right} columns of their output row, rows of {@code ow} pixels from {@code rowStart}.
     */
    private static void zeroPadColumns(float[] dst, int base, int a, int b, int rowStart, int ow,
                                       int left, int right) {
        for (int r = rowStart; r < b; r += ow) {
            zero(dst, base + Math.max(a, r), base + Math.min(b, r + left));
            zero(dst, base + Math.max(a, r + ow - right), base + Math.min(b, r + ow));
        }
    }

    /**
     * One im2col row: tap {@code (ky, kx)} of the input plane at {@code x[plane]}, whose output
     * columns {@code [oxLo, oxHi)} read inside the input ({@code 0 <= ox sW - pW + kx < W}).
     */
    private record Row(int plane, int ky, int kx, int oxLo, int oxHi) {
        /** Returns row {@code q} of image {@code n}'s im2col matrix for the group from channel {@code c0}. */
        static Row of(Conv2dGeometry g, int n, int c0, int q) {
            int taps = g.kernelH() * g.kernelW();
            int kx = q % taps % g.kernelW();
            int sw = g.strideW();
            return new Row((n * g.inChannels() + c0 + q / taps) * g.height() * g.width(),
                    q % taps / g.kernelW(), kx, -Math.floorDiv(kx - g.padW(), sw),
                    Math.floorDiv(g.width() - 1 - kx + g.padW(), sw) + 1);
        }

        /**
         * Writes the run of this row over output pixels {@code (oy, ox .. ox + len)} to
         * {@code dst[d ..]}: zeros, the in-bounds columns of one input row, zeros.
         */
        void run(Conv2dGeometry g, float[] x, int oy, int ox, int len, float[] dst, int d) {
            int iy = oy * g.strideH() - g.padH() + ky;
            if (iy < 0 || iy >= g.height()) {
                zero(dst, d, d + len);
                return;
            }
            int lo = Math.max(ox, Math.min(oxLo, ox + len));
            int hi = Math.max(lo, Math.min(oxHi, ox + len));
            zero(dst, d, d + lo - ox);
            copy(x, plane + iy * g.width() - g.padW() + kx, g.strideW(), lo, hi, dst, d + lo - ox);
            zero(dst, d + hi - ox, d + len);
        }
    }

    /** Copies {@code x[src + ox * sw]} for {@code lo <= ox < hi} to {@code dst[d + ox - lo]}. */
    private static void copy(float[] x, int src, int sw, int lo, int hi, float[] dst, int d) {
        if (sw == 1) {
            System.arraycopy(x, src + lo, dst, d, hi - lo);
            return;
        }
        for (int ox = lo; ox < hi; ox++) {
            dst[d + ox - lo] = x[src + ox * sw];
        }
    }

    /** Zeroes {@code dst[from .. to)}, which is usually empty or short, so a plain loop beats a call. */
    private static void zero(float[] dst, int from, int to) {
        for (int i = from; i < to; i++) {
            dst[i] = 0f;
        }
    }

    /**
     * Zeroes input channels {@code [c, c + nc)} of image {@code n} in {@code gradX}, then adds the
     * matrix {@code col (nc * KH * KW, OH * OW)} back into them, the adjoint of {@link #gather}.
     *
     * @param g     the geometry
     * @param col   the im2col-shaped gradient, row-major from index 0
     * @param n     the image
     * @param c     the first input channel
     * @param nc    the number of channels
     * @param gradX receives the gradient of the input
     */
    static void col2im(Conv2dGeometry g, float[] col, int n, int c, int nc, float[] gradX) {
        int h = g.height();
        int w = g.width();
        int pixels = g.outHeight() * g.outWidth();
        int r = 0;
        for (int ci = 0; ci < nc; ci++) {
            int plane = (n * g.inChannels() + c + ci) * h * w; // dx[n][c + ci] (H, W)
            Arrays.fill(gradX, plane, plane + h * w, 0f);
            for (int ky = 0; ky < g.kernelH(); ky++) {
                for (int kx = 0; kx < g.kernelW(); kx++, r++) {
                    addTap(g, col, r * pixels, ky, kx, gradX, plane);
                }
            }
        }
    }

    /** Adds the im2col row of tap {@code (ky, kx)} at {@code col[src]} into {@code gradX}'s plane. */
    private static void addTap(Conv2dGeometry g, float[] col, int src, int ky, int kx,
                               float[] gradX, int plane) {
        int ow = g.outWidth();
        int sw = g.strideW();
        int oxLo = Math.max(0, -Math.floorDiv(kx - g.padW(), sw));
        int oxHi = Math.min(ow, Math.floorDiv(g.width() - 1 - kx + g.padW(), sw) + 1);
        for (int oy = 0; oy < g.outHeight(); oy++) {
            int iy = oy * g.strideH() - g.padH() + ky;
            if (iy < 0 || iy >= g.height()) {
                continue;
            }
            int s = src + oy * ow;
            int dst = plane + iy * g.width() - g.padW() + kx; // dx index at ox = 0, stride sW
            if (sw == 1) {
                for (int ox = oxLo; ox < oxHi; ox++) {
                    gradX[dst + ox] += col[s + ox];
                }
            } else {
                for (int ox = oxLo; ox < oxHi; ox++) {
                    gradX[dst + ox * sw] += col[s + ox];
                }
            }
        }
    }
}
