package org.minidiffusion.backend.parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked GEMM micro-kernel on the Vector API, one of the two classes of this backend
 * that use {@code jdk.incubator.vector} (the other is {@link SimdSums}).
 *
 * <p>It is loaded only when {@link Simd} has found the module, so that the backend also runs
 * without it. The kernel follows the GotoBLAS scheme (K. Goto and R. van de Geijn, "Anatomy of
 * High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008): B has been packed into panels
 * of {@link #NR} columns, one contraction step after another, so that each step is two aligned
 * vector loads; A comes in panels of {@link #MR} rows, packed or read in place. For each step p
 * the kernel loads two vectors of B, broadcasts the {@code MR} values of A, and adds their
 * products into {@code MR x 2} vector accumulators, which stay in registers for the whole
 * contraction: 12 fused multiply-adds per 2 vector loads and 6 broadcasts.
 *
 * <p>Accumulators leave the kernel only through a small tile array, never as {@link FloatVector}
 * arguments or results: a vector that crosses a call the JIT did not inline is boxed, which made
 * an earlier version three times slower.
 */
final class SimdGemm {

    /** The preferred species, 16 floats with AVX-512. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floats per vector. */
    private static final int L = S.length();

    /**
     * Rows of the register block. Six rows by two vectors keep 12 accumulators, plus two vectors
     * of B and a broadcast: 15 registers, which fits the 16 of AVX2 as well as the 32 of AVX-512.
     * (Eight rows measured about as fast here, but would spill on AVX2.)
     */
    static final int MR = 6;

    /** Columns of the register block, two vectors. */
    static final int NR = 2 * L;

    private SimdGemm() {
    }

    /**
     * Returns the vector size in bits; calling it loads this class and the Vector API, so it throws
     * {@link LinkageError} when the module is missing.
     */
    static int probe() {
        float[] a = new float[MR];
        float[] b = new float[NR];
        float[] tile = new float[MR * NR];
        a[MR - 1] = 2f;
        b[NR - 1] = 3f;
        kernel(1, a, 0, 1, MR, b, 0, tile, 0, NR, false);
        if (tile[MR * NR - 1] != 6f) {
            throw new IllegalStateException("Vector API kernel self-test failed");
        }
        return S.vectorBitSize();
    }

    /**
     * Multiplies a block: {@code C (mc, nc) = A (mc, kc) · B (kc, nc)}, or {@code +=} when
     * {@code add}. This is the macro-kernel, the two innermost loops of Goto's algorithm: for each
     * {@code kc x NR} panel of B, which stays in L1, it runs the micro-kernel with every
     * {@code MR x kc} panel of A, which the caller keeps in L2.
     *
     * <p>Panel {@code t} of A has its element {@code (r, p)} at
     * {@code a[aOff + t * aPanel + r * ars + p * aps]}: packed by {@link Packing}
     * ({@code aPanel = kc * MR, ars = 1, aps = MR}), or read in place from a row-major matrix
     * ({@code aPanel = MR * ars, aps = 1}), which saves packing when A is not reused much. Rows past
     * {@code mc} in the last panel are read but not stored, so they must be inside {@code a}.
     *
     * @param mc     rows of C
     * @param nc     columns of C
     * @param kc     contraction length
     * @param a      storage of A
     * @param aOff   the first element of A
     * @param aPanel the stride from one panel of A to the next
     * @param ars    the row stride of A within a panel
     * @param aps    the contraction stride of A
     * @param bp     B packed into {@code ceil(nc / NR)} panels of {@code kc x NR}
     * @param bOff   the first panel of B
     * @param c      storage of C, element {@code (i, j)} at {@code cOff + i * ldc + j}
     * @param cOff   offset of C
     * @param ldc    row stride of C
     * @param add    whether to add to C rather than overwrite it
     * @param tile   scratch of at least {@code MR * NR} floats
     */
    static void block(int mc, int nc, int kc, float[] a, int aOff, int aPanel, int ars, int aps,
                      float[] bp, int bOff, float[] c, int cOff, int ldc, boolean add, float[] tile) {
        for (int j = 0; j < nc; j += NR) {
            int bo = bOff + j * kc; // panel j / NR, of kc * NR floats
            int cols = Math.min(NR, nc - j);
            for (int i = 0; i < mc; i += MR) {
                int ao = aOff + i / MR * aPanel;
                if (cols == NR && mc - i >= MR) { // a whole tile: straight into C
                    kernel(kc, a, ao, ars, aps, bp, bo, c, cOff + i * ldc + j, ldc, add);
                } else {
                    kernel(kc, a, ao, ars, aps, bp, bo, tile, 0, NR, false);
                    storePartial(tile, c, cOff + i * ldc + j, ldc, Math.min(MR, mc - i), cols, add);
                }
            }
        }
    }

    /**
     * Multiplies a block as {@link #block} does, adds the row-major {@code partial} sums of the
     * same block when there are any, and writes the result transposed: element {@code (i, j)} of
     * the block goes to {@code ct[ctOff + j * ldct + i]}, or is added there when {@code add}. This
     * is the last contraction block of a product whose transpose is wanted, as the weight gradient
     * of a convolution, so that no separate pass transposes it.
     *
     * @param mc      rows of the block
     * @param nc      columns of the block
     * @param kc      contraction length
     * @param a       storage of A, as in {@link #block}
     * @param aOff    the first element of A
     * @param aPanel  the stride from one panel of A to the next
     * @param ars     the row stride of A within a panel
     * @param aps     the contraction stride of A
     * @param bp      B packed into {@code ceil(nc / NR)} panels of {@code kc x NR}
     * @param bOff    the first panel of B
     * @param partial sums of earlier contraction blocks, element {@code (i, j)} at
     *                {@code pOff + i * ldp + j}, or null
     * @param pOff    offset of the partial sums
     * @param ldp     row stride of the partial sums
     * @param ct      storage of the transposed result
     * @param ctOff   the index of element (0, 0)
     * @param ldct    the stride from one column of the block to the next in {@code ct}
     * @param add     whether to add to {@code ct} rather than overwrite it
     * @param tile    scratch of at least {@code MR * NR} floats
     */
    static void blockTransposed(int mc, int nc, int kc, float[] a, int aOff, int aPanel, int ars, int aps,
                                float[] bp, int bOff, float[] partial, int pOff, int ldp,
                                float[] ct, int ctOff, int ldct, boolean add, float[] tile) {
        for (int j = 0; j < nc; j += NR) {
            int bo = bOff + j * kc;
            int cols = Math.min(NR, nc - j);
            for (int i = 0; i < mc; i += MR) {
                int rows = Math.min(MR, mc - i);
                kernel(kc, a, aOff + i / MR * aPanel, ars, aps, bp, bo, tile, 0, NR, false);
                if (partial != null) {
                    addPartial(partial, pOff + i * ldp + j, ldp, tile, rows, cols);
                }
                storeTransposed(tile, ct, ctOff + j * ldct + i, ldct, rows, cols, add);
            }
        }
    }

    /** Adds the {@code (rows, cols)} block of {@code partial} at {@code p} to the top left of {@code tile}. */
    private static void addPartial(float[] partial, int p, int ldp, float[] tile, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int t = r * NR;
            int o = p + r * ldp;
            if (cols == NR) {
                FloatVector.fromArray(S, tile, t).add(FloatVector.fromArray(S, partial, o)).intoArray(tile, t);
                FloatVector.fromArray(S, tile, t + L).add(FloatVector.fromArray(S, partial, o + L))
                        .intoArray(tile, t + L);
            } else {
                for (int j = 0; j < cols; j++) {
                    tile[t + j] += partial[o + j];
                }
            }
        }
    }

    /**
     * Writes, or adds, the top-left {@code (rows, cols)} of {@code tile} transposed,
     * element {@code (r, j)} to {@code ct[o + j * ldct + r]}.
     */
    private static void storeTransposed(float[] tile, float[] ct, int o, int ldct, int rows, int cols, boolean add) {
        for (int j = 0; j < cols; j++, o += ldct) {
            for (int r = 0; r < rows; r++) {
                ct[o + r] = add ? ct[o + r] + tile[r * NR + j] : tile[r * NR + j];
            }
        }
    }

    /**
     * The micro-kernel: writes, or adds when {@code add}, {@code A (MR, kc) · B (kc, NR)} to the
     * {@code (MR, NR)} block of {@code out} at {@code oo} with row stride {@code ld}, with
     * {@code A (r, p)} at {@code a[ao + r * ars + p * aps]} and B a packed panel at {@code b[bo]}.
     * Whole tiles of C are written here directly: a vector loop that reloaded a tile from memory
     * to store it lost the vectors' exact type in C2 once other code had profiled another float
     * species, and then boxed every vector it stored, allocating about 28 MiB per training step of
     * the small MMDiT.
     */
    private static void kernel(int kc, float[] a, int ao, int ars, int aps, float[] b, int bo,
                               float[] out, int oo, int ld, boolean add) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a1 = ao + ars;
        int a2 = a1 + ars;
        int a3 = a2 + ars;
        int a4 = a3 + ars;
        int a5 = a4 + ars;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            int ap = p * aps;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[ao + ap]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        int o1 = oo + ld;
        int o2 = o1 + ld;
        int o3 = o2 + ld;
        int o4 = o3 + ld;
        int o5 = o4 + ld;
        if (add) { // C + the product
            FloatVector.fromArray(S, out, oo).add(c00).intoArray(out, oo);
            FloatVector.fromArray(S, out, oo + L).add(c01).intoArray(out, oo + L);
            FloatVector.fromArray(S, out, o1).add(c10).intoArray(out, o1);
            FloatVector.fromArray(S, out, o1 + L).add(c11).intoArray(out, o1 + L);
            FloatVector.fromArray(S, out, o2).add(c20).intoArray(out, o2);
            FloatVector.fromArray(S, out, o2 + L).add(c21).intoArray(out, o2 + L);
            FloatVector.fromArray(S, out, o3).add(c30).intoArray(out, o3);
            FloatVector.fromArray(S, out, o3 + L).add(c31).intoArray(out, o3 + L);
            FloatVector.fromArray(S, out, o4).add(c40).intoArray(out, o4);
            FloatVector.fromArray(S, out, o4 + L).add(c41).intoArray(out, o4 + L);
            FloatVector.fromArray(S, out, o5).add(c50).intoArray(out, o5);
            FloatVector.fromArray(S, out, o5 + L).add(c51).intoArray(out, o5 + L);
        } else {
            c00.intoArray(out, oo);
            c01.intoArray(out, oo + L);
            c10.intoArray(out, o1);
            c11.intoArray(out, o1 + L);
            c20.intoArray(out, o2);
            c21.intoArray(out, o2 + L);
            c30.intoArray(out, o3);
            c31.intoArray(out, o3 + L);
            c40.intoArray(out, o4);
            c41.intoArray(out, o4 + L);
            c50.intoArray(out, o5);
            c51.intoArray(out, o5 + L);
        }
    }

    /**
     * Writes, or adds, the top-left {@code (rows, cols)} of {@code tile} to C: a tile on the
     * bottom or right edge of C. A scalar loop; whole tiles go straight from the registers to C.
     */
    private static void storePartial(float[] tile, float[] c, int cOff, int ldc, int rows, int cols,
                                    boolean add) {
        for (int r = 0; r < rows; r++) {
            int o = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[o + j] = add ? c[o + j] + tile[r * NR + j] : tile[r * NR + j];
            }
        }
    }
}
