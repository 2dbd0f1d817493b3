package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Copies blocks of GEMM operands into the panel layout of the micro-kernel, in plain Java.
 *
 * <p>Following Goto and van de Geijn (2008), an operand is seen as a matrix {@code M (rows, k)}
 * whose second index is the contraction: A itself, or B transposed. A block of rows
 * {@code [r0, r0 + rows)} and steps {@code [p0, p0 + kc)} is packed into {@code ceil(rows / w)}
 * panels of {@code kc x w} floats, one after another; in panel {@code t}, element
 * {@code (t w + e, p0 + p)} goes to {@code p * w + e}. Lanes past {@code rows} are zero, so the
 * kernel never needs a row or column remainder. The micro-kernel then reads {@code w} consecutive
 * floats per contraction step, whatever the operand's original layout: a strided matrix, or images
 * read through im2col, whose matrix is thus never materialised whole.
 */
final class Packing {

    private Packing() {
    }

    /** A GEMM operand, read only by packing. */
    interface Operand {
        /**
         * Packs rows {@code [r0, r0 + rows)} and contraction steps {@code [p0, p0 + kc)} into
         * {@code ceil(rows / w)} zero-padded panels of {@code kc x w} at {@code dst[dOff]}.
         *
         * @param r0   the first row
         * @param rows the number of rows, positive
         * @param p0   the first contraction step
         * @param kc   the number of steps, positive
         * @param w    the panel width
         * @param dst  the destination
         * @param dOff the first destination index
         */
        void pack(int r0, int rows, int p0, int kc, int w, float[] dst, int dOff);
    }

    /**
     * Returns the operand whose element {@code (r, p)} is {@code data[off + r * rs + p * ps]}.
     *
     * @param data the storage
     * @param off  the offset of element (0, 0)
     * @param rs   the row stride
     * @param ps   the contraction stride
     * @return the operand
     */
    static Operand strided(float[] data, int off, int rs, int ps) {
        return new StridedMatrix(data, off, rs, ps, Integer.MAX_VALUE, 0);
    }

    /**
     * Returns the operand whose contraction index runs through {@code segments} of length
     * {@code seg}: element {@code (r, p)} is
     * {@code data[off + r * rs + (p / seg) * segStride + (p % seg) * ps]}. This folds a batch into
     * the contraction, as the weight gradient of a convolution sums over images.
     *
     * @param data      the storage
     * @param off       the offset of element (0, 0)
     * @param rs        the row stride
     * @param ps        the contraction stride within a segment
     * @param seg       the segment length
     * @param segStride the stride from one segment to the next
     * @return the operand
     */
    static Operand segmented(float[] data, int off, int rs, int ps, int seg, int segStride) {
        return new StridedMatrix(data, off, rs, ps, seg, segStride);
    }

    /**
     * Returns the im2col matrix of image {@code n} and the group whose input channels start at
     * {@code c0}, seen as rows of output pixels from {@code pixel0}: element {@code (r, q)} is
     * {@code col[q][pixel0 + r]}, with {@code q} over {@code (ci, ky, kx)}. This is the B operand of
     * a forward convolution.
     *
     * @param g      the geometry
     * @param x      the input images
     * @param n      the image
     * @param c0     the group's first input channel
     * @param pixel0 the first output pixel
     * @return the operand
     */
    static Operand imageColumns(Conv2dGeometry g, float[] x, int n, int c0, int pixel0) {
        return (r0, rows, p0, kc, w, dst, dOff) -> Im2col.packColumns(g, x, n, c0, pixel0 + r0, rows, p0, kc, w,
                dst, dOff);
    }

    /** A strided, possibly segmented, matrix; see {@link #segmented}. */
    static final class StridedMatrix implements Operand {
        private final float[] data;
        private final int off;
        private final int rs;
        private final int ps;
        private final int seg;
        private final int segStride;

        StridedMatrix(float[] data, int off, int rs, int ps, int seg, int segStride) {
            this.data = data;
            this.off = off;
            this.rs = rs;
            this.ps = ps;
            this.seg = seg;
            this.segStride = segStride;
        }

        /** Returns whether each row is contiguous along the contraction, unsegmented. */
        boolean rowMajor() {
            return ps == 1 && seg == Integer.MAX_VALUE;
        }

        /** Returns the storage. */
        float[] data() {
            return data;
        }

        /** Returns the row stride. */
        int rowStride() {
            return rs;
        }

        /** Returns the index of element {@code (r, p)} of an unsegmented operand. */
        int offset(int r, int p) {
            return off + r * rs + p * ps;
        }

        @Override
        public void pack(int r0, int rows, int p0, int kc, int w, float[] dst, int dOff) {
            for (int t = 0; t * w < rows; t++) {
                int lanes = Math.min(w, rows - t * w);
                int d = dOff + t * kc * w;
                for (int p = 0; p < kc; ) {
                    int q = p0 + p;
                    int len = Math.min(kc - p, seg - q % seg);
                    int src = off + (r0 + t * w) * rs + q / seg * segStride + q % seg * ps;
                    panel(src, lanes, len, w, dst, d + p * w);
                    p += len;
                }
            }
        }

        /**
         * Packs {@code len} steps of {@code lanes} rows from {@code data[src]} into one panel of
         * width {@code w} at {@code dst[d]}, zeroing the lanes past {@code lanes}.
         */
        private void panel(int src, int lanes, int len, int w, float[] dst, int d) {
            if (rs == 1 && lanes >= 16) {
                // rows adjacent: each step is a contiguous run of lanes
                for (int p = 0; p < len; p++) {
                    System.arraycopy(data, src + p * ps, dst, d + p * w, lanes);
                }
            } else if (rs == 1) {
                for (int p = 0; p < len; p++) {
                    for (int e = 0; e < lanes; e++) {
                        dst[d + p * w + e] = data[src + p * ps + e];
                    }
                }
            } else if (w >= 16) {
                gatherSteps(src, lanes, len, w, dst, d);
            } else {
                // steps adjacent (ps == 1 in practice), narrow panel: read along each row, write
                // every w-th float
                for (int e = 0; e < lanes; e++) {
                    int s = src + e * rs;
                    for (int p = 0; p < len; p++) {
                        dst[d + p * w + e] = data[s + p * ps];
                    }
                }
            }
            for (int e = lanes; e < w; e++) {
                for (int p = 0; p < len; p++) {
                    dst[d + p * w + e] = 0f;
                }
            }
        }

        /**
         * Packs a wide panel whose steps are adjacent, as {@link #panel} does, a step at a time: it
         * gathers one float from each row and writes the step's lanes in order. Written column by
         * column, a panel of {@code kc x w} floats would not stay in L1; the rows' cache lines do.
         */
        private void gatherSteps(int src, int lanes, int len, int w, float[] dst, int d) {
            for (int p = 0; p < len; p++) {
                int s = src + p * ps;
                int o = d + p * w;
                for (int e = 0; e < lanes; e++) {
                    dst[o + e] = data[s + e * rs];
                }
            }
        }
    }
}
