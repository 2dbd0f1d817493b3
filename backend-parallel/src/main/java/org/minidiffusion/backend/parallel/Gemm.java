package org.minidiffusion.backend.parallel;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A cache-blocked single-precision matrix multiply in plain Java.
 *
 * <p>The serial core, {@link #multiply}, computes {@code C (m, n) = A (m, k) · B (k, n)} in i-k-j
 * order, so that its innermost loop is the unit-stride update {@code c[j] += a_ik * b[k][j]}, which
 * the JIT compiles to SIMD code. Around it:
 * <ul>
 *   <li>columns are taken in blocks of {@link #NC} and the contraction in blocks of {@link #KC}, so
 *       the {@code KC x NC} panel of B (96 KiB) stays in L2 while every row of A streams past it,
 *       and the {@code 4 x NC} strip of C being updated (4 KiB) stays in L1; when A has enough rows
 *       to amortise it, the panel is first copied to a contiguous buffer;</li>
 *   <li>the register block is 4 rows of A by 4 steps of k: each pass over a strip of C loads 4 rows
 *       of B once and applies them to 4 rows of C, that is 16 multiply-adds per 8 loads and 4 stores
 *       instead of 1 per 2 loads and a store.</li>
 * </ul>
 * B must have unit stride along n; {@link #batched} packs a transposed B into that layout first. A
 * is read through arbitrary row and column strides, since each of its elements is loaded only once
 * per block.
 */
final class Gemm {

    /** Columns of B and C per block. */
    static final int NC = 256;

    /** Contraction steps per block; a multiple of 4. */
    static final int KC = 96;

    /** The fewest rows of A for which copying the panel of B pays off. */
    static final int PACK_MIN_ROWS = 16;

    private Gemm() {
    }

    /**
     * Computes the batched product of {@link org.minidiffusion.core.spi.Kernels#matmul}, in parallel
     * over batch entries, blocks of rows and, when those are too few, blocks of columns.
     */
    static void batched(int batch, float[] a, int[] aOffsets, boolean transA,
                        float[] b, int[] bOffsets, boolean transB, float[] c, int m, int k, int n) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        // op(A) (m, k) is read in place: (m, k) row-major, or (k, m) row-major when transposed.
        int ars = transA ? 1 : k;
        int acs = transA ? m : 1;
        // op(B) (k, n) must be row-major; a transposed B is packed once per distinct offset.
        float[][] bData = new float[batch][];
        int[] bOff = new int[batch];
        if (transB) {
            packTransposed(b, bOffsets, batch, k, n, bData);
        } else {
            Arrays.fill(bData, b);
            System.arraycopy(bOffsets, 0, bOff, 0, batch);
        }
        // Tasks: (batch, row block, column block), about 4 per core; rows in multiples of 4.
        int want = Parallel.ceilDiv(4 * Parallel.CORES, batch);
        int rows = blockSize(m, want, 4);
        int rowBlocks = Parallel.ceilDiv(m, rows);
        int cols = blockSize(n, Math.min(Parallel.ceilDiv(want, rowBlocks), Parallel.ceilDiv(n, 64)), 16);
        int colBlocks = Parallel.ceilDiv(n, cols);
        int perBatch = rowBlocks * colBlocks;
        long work = 2L * batch * m * n * k;
        Parallel.parallelFor(batch * perBatch, work, t -> {
            int bt = t / perBatch;
            int i0 = (t % perBatch) / colBlocks * rows;
            int j0 = (t % colBlocks) * cols;
            multiply(Math.min(rows, m - i0), k, Math.min(cols, n - j0),
                    a, aOffsets[bt] + i0 * ars, ars, acs,
                    bData[bt], bOff[bt] + j0, n,
                    c, (bt * m + i0) * n + j0, n, false);
        });
    }

    /** Returns a multiple of {@code multiple} that cuts {@code size} into about {@code parts} blocks. */
    private static int blockSize(int size, int parts, int multiple) {
        return multiple * Parallel.ceilDiv(Parallel.ceilDiv(size, parts), multiple);
    }

    /**
     * Computes {@code C = A · B}, or {@code C += A · B} when {@code accumulate}, on the calling
     * thread.
     *
     * @param m          rows of A and C
     * @param k          columns of A, rows of B
     * @param n          columns of B and C
     * @param a          storage of A, whose element {@code (i, p)} is at {@code aOff + i * ars + p * acs}
     * @param aOff       offset of A
     * @param ars        row stride of A
     * @param acs        column stride of A
     * @param b          storage of B, whose element {@code (p, j)} is at {@code bOff + p * ldb + j}
     * @param bOff       offset of B
     * @param ldb        row stride of B
     * @param c          storage of C, whose element {@code (i, j)} is at {@code cOff + i * ldc + j}
     * @param cOff       offset of C
     * @param ldc        row stride of C
     * @param accumulate whether to add to C rather than overwrite it
     */
    static void multiply(int m, int k, int n, float[] a, int aOff, int ars, int acs,
                         float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        // With enough rows to amortise it, each (KC, NC) panel of B is copied to a contiguous buffer,
        // which keeps it in L2 without cache-set conflicts however large ldb is.
        boolean copyPanels = m >= PACK_MIN_ROWS && !(n <= NC && ldb == n);
        float[] panel = copyPanels ? new float[Math.min(k, KC) * Math.min(n, NC)] : null;
        for (int j0 = 0; j0 < n; j0 += NC) {
            int w = Math.min(n, j0 + NC) - j0;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(k, p0 + KC) - p0;
                // The block: A (m, kc) at column p0, B (kc, w) at (p0, j0), C (m, w) at column j0.
                float[] bp = b;
                int bo = bOff + p0 * ldb + j0;
                int lb = ldb;
                if (panel != null) {
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(b, bo + p * ldb, panel, p * w, w);
                    }
                    bp = panel;
                    bo = 0;
                    lb = w;
                }
                int ao = aOff + p0 * acs;
                int co = cOff + j0;
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    fourRows(a, ao + i * ars, ars, acs, bp, bo, lb, c, co + i * ldc, ldc, kc, w);
                }
                for (; i < m; i++) {
                    oneRow(a, ao + i * ars, acs, bp, bo, lb, c, co + i * ldc, kc, w);
                }
            }
        }
    }

    /** Adds {@code A (4, kc) · B (kc, w)} to {@code C (4, w)}; the register block. */
    private static void fourRows(float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, int kc, int w) {
        int c0 = cOff;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int a0 = aOff;
        int a1 = a0 + ars;
        int a2 = a1 + ars;
        int a3 = a2 + ars;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            // A (4 rows, 4 steps of k), held in registers
            int q0 = p * acs;
            int q1 = q0 + acs;
            int q2 = q1 + acs;
            int q3 = q2 + acs;
            float a00 = a[a0 + q0], a01 = a[a0 + q1], a02 = a[a0 + q2], a03 = a[a0 + q3];
            float a10 = a[a1 + q0], a11 = a[a1 + q1], a12 = a[a1 + q2], a13 = a[a1 + q3];
            float a20 = a[a2 + q0], a21 = a[a2 + q1], a22 = a[a2 + q2], a23 = a[a2 + q3];
            float a30 = a[a3 + q0], a31 = a[a3 + q1], a32 = a[a3 + q2], a33 = a[a3 + q3];
            int b0 = bOff + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                float x0 = b[b0 + j], x1 = b[b1 + j], x2 = b[b2 + j], x3 = b[b3 + j];
                c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
                c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
                c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
                c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
            }
        }
        for (; p < kc; p++) {
            // the k remainder, one step at a time
            int q = p * acs;
            float v0 = a[a0 + q], v1 = a[a1 + q], v2 = a[a2 + q], v3 = a[a3 + q];
            int bp = bOff + p * ldb;
            for (int j = 0; j < w; j++) {
                float x = b[bp + j];
                c[c0 + j] += v0 * x;
                c[c1 + j] += v1 * x;
                c[c2 + j] += v2 * x;
                c[c3 + j] += v3 * x;
            }
        }
    }

    /** Adds {@code A (1, kc) · B (kc, w)} to {@code C (1, w)}; for the rows left over. */
    private static void oneRow(float[] a, int aOff, int acs, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int kc, int w) {
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            float v0 = a[aOff + p * acs], v1 = a[aOff + (p + 1) * acs];
            float v2 = a[aOff + (p + 2) * acs], v3 = a[aOff + (p + 3) * acs];
            int b0 = bOff + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                c[cOff + j] += v0 * b[b0 + j] + v1 * b[b1 + j] + v2 * b[b2 + j] + v3 * b[b3 + j];
            }
        }
        for (; p < kc; p++) {
            float v = a[aOff + p * acs];
            int bp = bOff + p * ldb;
            for (int j = 0; j < w; j++) {
                c[cOff + j] += v * b[bp + j];
            }
        }
    }

    /**
     * Packs each transposed right matrix, stored {@code (n, k)}, into a row-major {@code (k, n)}
     * copy; batch entries sharing an offset share one copy.
     */
    private static void packTransposed(float[] b, int[] bOffsets, int batch, int k, int n, float[][] packed) {
        Map<Integer, float[]> byOffset = new HashMap<>();
        int[] distinct = new int[batch];
        int count = 0;
        for (int bt = 0; bt < batch; bt++) {
            float[] copy = byOffset.get(bOffsets[bt]);
            if (copy == null) {
                copy = new float[k * n];
                byOffset.put(bOffsets[bt], copy);
                distinct[count++] = bt;
            }
            packed[bt] = copy;
        }
        // Tasks: (distinct matrix, block of 32 rows of the packed copy).
        int blocks = Parallel.ceilDiv(k, 32);
        Parallel.parallelFor(count * blocks, (long) count * k * n, t -> {
            int bt = distinct[t / blocks];
            int p0 = (t % blocks) * 32;
            transposeRows(b, bOffsets[bt], n, k, packed[bt], p0, Math.min(k, p0 + 32));
        });
    }

    /**
     * Writes rows {@code [p0, p1)} of the transpose of the row-major {@code (rows, cols)} matrix at
     * {@code src[off]} into {@code dst}, a row-major {@code (cols, rows)} matrix, in 32-column tiles.
     */
    private static void transposeRows(float[] src, int off, int rows, int cols, float[] dst, int p0, int p1) {
        for (int j0 = 0; j0 < rows; j0 += 32) {
            int j1 = Math.min(rows, j0 + 32);
            for (int j = j0; j < j1; j++) {
                for (int p = p0; p < p1; p++) {
                    dst[p * rows + j] = src[off + j * cols + p];
                }
            }
        }
    }
}
