/**
 * The parallel backend: {@link org.minidiffusion.backend.parallel.ParallelBackendProvider} and its
 * multi-threaded kernels.
 *
 * <p>All parallelism goes through one helper, {@code Parallel}, which splits a loop over batch
 * entries, rows, channels or planes across the common fork-join pool and never nests. Matrix
 * products use, when {@code Simd} finds the Vector API, a GotoBLAS-style packed GEMM
 * ({@code PackedGemm} around the {@code SimdGemm} micro-kernel), and convolutions lower to it with
 * im2col fused into the packing ({@code PackedConvolution}); otherwise a cache-blocked plain-Java
 * GEMM ({@code Gemm}) and im2col ({@code Convolution}). On both paths, 3x3 stride-1 convolutions
 * with enough channels and tiles, and their input gradients, use Winograd's {@code F(2x2, 3x3)}
 * ({@code Winograd}) instead. Element-wise kernels call the same
 * reference functions as the scalar backend, and sums are accumulated in the same order, so most
 * results are bit-identical to it.
 */
package org.minidiffusion.backend.parallel;
