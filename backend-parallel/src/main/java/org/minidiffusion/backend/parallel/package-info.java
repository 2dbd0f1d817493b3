/**
 * The parallel backend: {@link org.minidiffusion.backend.parallel.ParallelBackendProvider} and its
 * multi-threaded kernels.
 *
 * <p>All parallelism goes through one helper, {@code Parallel}, which splits a loop over batch
 * entries, rows, channels or planes across the common fork-join pool and never nests. Matrix
 * products use a cache-blocked GEMM ({@code Gemm}); convolutions lower to it through im2col
 * ({@code Convolution}). Element-wise kernels call the same reference functions as the scalar
 * backend, and sums are accumulated in the same order, so most results are bit-identical to it.
 */
package org.minidiffusion.backend.parallel;
