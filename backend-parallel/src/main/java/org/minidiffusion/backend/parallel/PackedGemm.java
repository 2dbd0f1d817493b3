package org.minidiffusion.backend.parallel;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.minidiffusion.backend.parallel.Packing.Operand;

/**
 * The GotoBLAS loops around the {@link SimdGemm} micro-kernel, and the batched matrix product built
 * on them.
 *
 * <p>After K. Goto and R. van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM
 * TOMS 34(3), 2008), the product {@code C (m, n) = A (m, k) · B (k, n)} is cut into blocks sized
 * for the cache levels, from the outside in:
 * <ol>
 *   <li>columns in blocks of {@link #NC} and the contraction in blocks of at most {@link #KC}
 *       steps; each {@code KC x NC} block of B (512 KiB) is packed into column panels of
 *       {@code NR}, for L2. A batched product instead packs all of each distinct B once, before
 *       its tasks start, and they share it;</li>
 *   <li>rows in blocks of {@link #MC}, whose {@code MC x KC} block of A (192 KiB) stays in L2:
 *       packed into row panels of {@code MR}, or, for a row-major A, read in place, since the
 *       micro-kernel only broadcasts its elements and six unit-stride rows stream as well as one
 *       panel (this spares the packing, which costs most when B is narrow);</li>
 *   <li>the macro-kernel, {@link SimdGemm#block}, which keeps one {@code KC x NR} panel of B
 *       (32 KiB) in L1 while the micro-kernel runs over every panel of A.</li>
 * </ol>
 * Each block of C is thus loaded and stored once per block of the contraction. All of this runs on
 * the calling thread, except {@link #batched}, which parallelises over batch entries and blocks of
 * C; the block sizes were tuned on a Zen 4 core (32 KiB L1, 1 MiB L2) with 512-bit vectors.
 */
final class PackedGemm {

    /** The most contraction steps per block; see {@link #kBlock}. */
    static final int KC = 256;

    /** Rows of A per packed block; a multiple of {@link SimdGemm#MR}. */
    static final int MC = 192;

    /** Columns of B per packed block; a multiple of {@link SimdGemm#NR}. */
    static final int NC = 512;

    /** The most floats of packed right matrices {@link #batched} holds at once (16 MiB). */
    private static final int MAX_SHARED = 1 << 22;

    /** The fewest rows of C a task of {@link #batched} takes, unless C has fewer. */
    private static final int MIN_TASK_ROWS = 48;

    private PackedGemm() {
    }

    /**
     * Returns whether a product of {@code m x n} outputs fills the micro-kernel well enough to
     * beat the plain-Java {@link Gemm}; matrix-vector products, for one, do not.
     *
     * @param m rows of C
     * @param n columns of C
     * @return whether to use this class
     */
    static boolean suits(int m, int n) {
        return m >= SimdGemm.MR / 2 && n >= SimdGemm.NR / 2;
    }

    /**
     * Computes {@code C = A · B}, or {@code C += A · B} when {@code accumulate}, on the calling
     * thread, packing blocks of both operands as it goes.
     *
     * @param m          rows of A and C
     * @param n          columns of B and C
     * @param k          the contraction length
     * @param a          A, an operand of {@code m} rows
     * @param b          B transposed, an operand of {@code n} rows
     * @param c          storage of C, element {@code (i, j)} at {@code cOff + i * ldc + j}
     * @param cOff       offset of C
     * @param ldc        row stride of C
     * @param accumulate whether to add to C
     */
    static void multiply(int m, int n, int k, Operand a, Operand b, float[] c, int cOff, int ldc,
                         boolean accumulate) {
        if (k == 0) {
            zero(m, n, c, cOff, ldc, accumulate);
            return;
        }
        int nr = SimdGemm.NR;
        int kb = kBlock(k);
        float[] bp = Scratch.take(Scratch.B, roundUp(Math.min(n, NC), nr) * kb);
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nc = Math.min(NC, n - j0);
            for (int p0 = 0; p0 < k; p0 += kb) {
                int kc = Math.min(kb, k - p0);
                b.pack(j0, nc, p0, kc, nr, bp, 0);
                rowBlocks(0, m, nc, p0, kc, a, bp, 0, c, cOff + j0, ldc, accumulate || p0 > 0);
            }
        }
        Scratch.give(Scratch.B, bp);
    }

    /**
     * Computes rows {@code [i0, i0 + rows)} and columns {@code [j0, j0 + cols)} of
     * {@code C = A · B}, or {@code +=}, on the calling thread, with B packed by {@link #packAll}.
     *
     * @param i0         the first row
     * @param rows       the number of rows
     * @param j0         the first column, a multiple of {@link SimdGemm#NR}
     * @param cols       the number of columns
     * @param n          the columns of the packed B
     * @param k          the contraction length, positive
     * @param a          A, an operand of at least {@code i0 + rows} rows
     * @param bp         B, packed by {@link #packAll}
     * @param bOff       the offset of the packed B
     * @param c          storage of C, element {@code (i, j)} at {@code cOff + i * ldc + j}
     * @param cOff       offset of C
     * @param ldc        row stride of C
     * @param accumulate whether to add to C
     */
    static void multiplyPacked(int i0, int rows, int j0, int cols, int n, int k, Operand a,
                               float[] bp, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
        int nr = SimdGemm.NR;
        int panels = Parallel.ceilDiv(n, nr);
        int kb = kBlock(k);
        for (int p0 = 0; p0 < k; p0 += kb) {
            int kc = Math.min(kb, k - p0);
            int block = bOff + p0 * panels * nr + j0 * kc; // panel j0 / NR of the block at p0
            rowBlocks(i0, rows, cols, p0, kc, a, bp, block, c, cOff + j0, ldc, accumulate || p0 > 0);
        }
    }

    /**
     * Multiplies rows {@code [i0, i0 + rows)} of A, {@link #MC} at a time, with the packed
     * {@code kc x nc} block of B at {@code bp[bOff]}, into C from column 0.
     */
    private static void rowBlocks(int i0, int rows, int nc, int p0, int kc, Operand a, float[] bp, int bOff,
                                  float[] c, int cOff, int ldc, boolean add) {
        int mr = SimdGemm.MR;
        float[] ap = Scratch.take(Scratch.A, roundUp(Math.min(rows, MC), mr) * kc);
        float[] tile = Scratch.take(Scratch.TILE, mr * SimdGemm.NR);
        for (int i = i0; i < i0 + rows; i += MC) {
            int mc = Math.min(MC, i0 + rows - i);
            int co = cOff + i * ldc;
            if (a instanceof Packing.StridedMatrix && ((Packing.StridedMatrix) a).rowMajor()) {
                inPlace((Packing.StridedMatrix) a, i, mc, nc, p0, kc, ap, bp, bOff, c, co, ldc, add, tile);
            } else {
                a.pack(i, mc, p0, kc, mr, ap, 0);
                SimdGemm.block(mc, nc, kc, ap, 0, kc * mr, 1, mr, bp, bOff, c, co, ldc, add, tile);
            }
        }
        Scratch.give(Scratch.TILE, tile);
        Scratch.give(Scratch.A, ap);
    }

    /**
     * Multiplies rows {@code [i, i + mc)} of a row-major A, read in place but for a last partial
     * panel, which is packed into {@code ap} so that no row past A's end is read.
     */
    private static void inPlace(Packing.StridedMatrix a, int i, int mc, int nc, int p0, int kc, float[] ap,
                                float[] bp, int bOff, float[] c, int cOff, int ldc, boolean add,
                                float[] tile) {
        int mr = SimdGemm.MR;
        int full = mc / mr * mr;
        if (full > 0) {
            int rs = a.rowStride();
            SimdGemm.block(full, nc, kc, a.data(), a.offset(i, p0), mr * rs, rs, 1,
                    bp, bOff, c, cOff, ldc, add, tile);
        }
        if (full < mc) {
            a.pack(i + full, mc - full, p0, kc, mr, ap, 0);
            SimdGemm.block(mc - full, nc, kc, ap, 0, kc * mr, 1, mr,
                    bp, bOff, c, cOff + full * ldc, ldc, add, tile);
        }
    }

    /**
     * Returns the floats {@link #packAll} writes for a B of {@code n} columns and {@code k} steps.
     *
     * @param n the columns
     * @param k the contraction length
     * @return the packed size
     */
    static int packedSize(int n, int k) {
        return roundUp(n, SimdGemm.NR) * k;
    }

    /**
     * Packs column panels {@code [t0, t1)} of contraction block {@code p0} of B into the layout
     * {@link #multiplyPacked} reads: for each block of {@link #kBlock} steps, all its panels.
     *
     * @param b    B transposed, an operand of {@code n} rows
     * @param n    the columns of B
     * @param k    the contraction length
     * @param p0   the first step of the block, a multiple of {@link #kBlock kBlock(k)}
     * @param t0   the first panel
     * @param t1   the end of the panels
     * @param dst  the destination of the whole packed B
     * @param dOff the offset of the whole packed B
     */
    static void packAll(Operand b, int n, int k, int p0, int t0, int t1, float[] dst, int dOff) {
        int nr = SimdGemm.NR;
        int kc = Math.min(kBlock(k), k - p0);
        int j0 = t0 * nr;
        int cols = Math.min(n, t1 * nr) - j0;
        b.pack(j0, cols, p0, kc, nr, dst, dOff + p0 * Parallel.ceilDiv(n, nr) * nr + j0 * kc);
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#matmul}: each distinct B is packed once,
     * in parallel, then the batch entries that use it are computed in parallel over blocks of C.
     * When the packed copies of all distinct B would exceed {@link #MAX_SHARED} floats, they are
     * taken a group at a time.
     *
     * @param batch    the number of products
     * @param a        storage of the left matrices
     * @param aOffsets first element of each left matrix
     * @param transA   whether each left matrix is stored transposed
     * @param b        storage of the right matrices
     * @param bOffsets first element of each right matrix
     * @param transB   whether each right matrix is stored transposed
     * @param c        contiguous output {@code (batch, m, n)}
     * @param m        rows of each product
     * @param k        the contracted size
     * @param n        columns of each product
     */
    static void batched(int batch, float[] a, int[] aOffsets, boolean transA,
                        float[] b, int[] bOffsets, boolean transB, float[] c, int m, int k, int n) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            Arrays.fill(c, 0, batch * m * n, 0f);
            return;
        }
        Simd.recordUse();
        Batch plan = Batch.of(bOffsets, batch);
        int size = packedSize(n, k);
        int group = Math.max(1, Math.min(plan.distinct(), MAX_SHARED / size)); // distinct B per round
        float[] shared = Scratch.take(Scratch.SHARED, group * size);
        for (int d0 = 0; d0 < plan.distinct(); d0 += group) {
            int d1 = Math.min(plan.distinct(), d0 + group);
            packRight(b, bOffsets, transB, plan, d0, d1, k, n, shared);
            multiplyEntries(a, aOffsets, transA, plan, d0, d1, shared, c, m, k, n);
        }
        Scratch.give(Scratch.SHARED, shared);
    }

    /**
     * Computes, in parallel over blocks of C, the batch entries whose B is one of the distinct
     * matrices {@code [d0, d1)}, packed one after another in {@code shared}.
     */
    private static void multiplyEntries(float[] a, int[] aOffsets, boolean transA, Batch plan, int d0, int d1,
                                        float[] shared, float[] c, int m, int k, int n) {
        int size = packedSize(n, k);
        int first = plan.start[d0];
        int entries = plan.start[d1] - first;
        // op(A) (m, k): stored (m, k), or (k, m) when transposed
        int ars = transA ? 1 : k;
        int aps = transA ? m : 1;
        Tiles tiles = Tiles.of(entries, m, n);
        Parallel.parallelFor(entries * tiles.perEntry(), 2L * entries * m * n * k, t -> {
            int bt = plan.entries[first + t / tiles.perEntry()];
            int i0 = tiles.row(t);
            int j0 = tiles.col(t);
            multiplyPacked(i0, Math.min(tiles.rows, m - i0), j0, Math.min(tiles.cols, n - j0), n, k,
                    Packing.strided(a, aOffsets[bt], ars, aps), shared, (plan.which[bt] - d0) * size,
                    c, bt * m * n, n, false);
        });
    }

    /**
     * Packs the distinct right matrices {@code [d0, d1)} into {@code dst}, one after another, in
     * parallel over (matrix, contraction block, group of panels).
     */
    private static void packRight(float[] b, int[] bOffsets, boolean transB, Batch plan, int d0, int d1,
                                  int k, int n, float[] dst) {
        int size = packedSize(n, k);
        int kb = kBlock(k);
        int kBlocks = Parallel.ceilDiv(k, kb);
        int panels = Parallel.ceilDiv(n, SimdGemm.NR);
        int want = Math.min(panels, Parallel.ceilDiv(4 * Parallel.CORES, (d1 - d0) * kBlocks));
        int per = Parallel.ceilDiv(panels, want); // panels per piece
        int chunks = Parallel.ceilDiv(panels, per);
        int pieces = kBlocks * chunks; // per matrix
        Parallel.parallelFor((d1 - d0) * pieces, (long) (d1 - d0) * k * n, t -> {
            int d = t / pieces;
            int p0 = t % pieces / chunks * kb;
            int t0 = t % chunks * per;
            int off = bOffsets[plan.entries[plan.start[d0 + d]]];
            // op(B)^T (n, k): stored (n, k) when transposed, else (k, n)
            Operand op = transB ? Packing.strided(b, off, k, 1) : Packing.strided(b, off, 1, n);
            packAll(op, n, k, p0, t0, Math.min(panels, t0 + per), dst, d * size);
        });
    }

    /** Zeroes C unless {@code accumulate}: the product over an empty contraction. */
    private static void zero(int m, int n, float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
    }

    /**
     * Returns the length of the contraction blocks for a contraction of {@code k}: at most
     * {@link #KC}, and as even as possible, so that no block is much shorter than the others.
     *
     * @param k the contraction length, positive
     * @return the block length
     */
    static int kBlock(int k) {
        return Parallel.ceilDiv(k, Parallel.ceilDiv(k, KC));
    }

    /** Returns {@code x} rounded up to a multiple of {@code multiple}. */
    static int roundUp(int x, int multiple) {
        return Parallel.ceilDiv(x, multiple) * multiple;
    }

    /**
     * The batch entries grouped by their right matrix: entries {@code entries[start[d] ..
     * start[d + 1])}, in batch order, share the {@code d}-th distinct offset, and
     * {@code which[bt]} is the distinct index of entry {@code bt}.
     */
    private record Batch(int[] entries, int[] start, int[] which) {
        static Batch of(int[] offsets, int batch) {
            Map<Integer, Integer> seen = new HashMap<>();
            int[] which = new int[batch];
            for (int bt = 0; bt < batch; bt++) {
                Integer d = seen.putIfAbsent(offsets[bt], seen.size());
                which[bt] = d == null ? seen.size() - 1 : d;
            }
            int[] start = new int[seen.size() + 1];
            for (int bt = 0; bt < batch; bt++) {
                start[which[bt] + 1]++;
            }
            for (int d = 0; d < seen.size(); d++) {
                start[d + 1] += start[d];
            }
            int[] entries = new int[batch];
            int[] next = Arrays.copyOf(start, seen.size());
            for (int bt = 0; bt < batch; bt++) {
                entries[next[which[bt]]++] = bt;
            }
            return new Batch(entries, start, which);
        }

        int distinct() {
            return start.length - 1;
        }
    }

    /**
     * How a batched product is cut into tasks: blocks of {@code rows x cols} of each entry's C,
     * {@code rowBlocks x colBlocks} per entry, about four tasks per core in all.
     *
     * <p>Rows are split first, as long as blocks keep at least {@link #MIN_TASK_ROWS} rows, so
     * that each panel of B a task loads from L2 or L3 serves many panels of A; columns are split
     * only when that leaves too few tasks, as for a skinny {@code 64 x 1024} output.
     */
    private record Tiles(int rows, int cols, int rowBlocks, int colBlocks) {
        static Tiles of(int batch, int m, int n) {
            int want = Parallel.ceilDiv(4 * Parallel.CORES, batch);
            int rowPanels = Parallel.ceilDiv(m, SimdGemm.MR);
            int rowBlocks = Math.min(want, Math.max(1, m / MIN_TASK_ROWS));
            int rows = SimdGemm.MR * Parallel.ceilDiv(rowPanels, rowBlocks);
            rowBlocks = Parallel.ceilDiv(m, rows);
            int colPanels = Parallel.ceilDiv(n, SimdGemm.NR);
            int colBlocks = Math.min(colPanels, Parallel.ceilDiv(want, rowBlocks));
            int cols = SimdGemm.NR * Parallel.ceilDiv(colPanels, colBlocks);
            return new Tiles(rows, cols, rowBlocks, Parallel.ceilDiv(n, cols));
        }

        int perEntry() {
            return rowBlocks * colBlocks;
        }

        int row(int task) {
            return task % perEntry() / colBlocks * rows;
        }

        int col(int task) {
            return task % colBlocks * cols;
        }
    }
}
