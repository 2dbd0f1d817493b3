/**
 * The scalar reference backend: {@link org.minidiffusion.backend.scalar.ScalarBackendProvider} and
 * its single-threaded kernels.
 *
 * <p>Every kernel is a direct loop over the definition in
 * {@link org.minidiffusion.core.spi.Kernels}, kept obviously correct rather than fast, so that other
 * backends can be compared against it.
 */
package org.minidiffusion.backend.scalar;
