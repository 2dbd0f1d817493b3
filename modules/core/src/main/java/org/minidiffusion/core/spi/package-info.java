/**
 * The service provider interface that compute backends implement.
 *
 * <p>A backend module declares {@code provides org.minidiffusion.core.spi.BackendProvider with ...}
 * in its {@code module-info.java} and lists the same class in
 * {@code META-INF/services/org.minidiffusion.core.spi.BackendProvider}, so that it is found on the
 * module path and on the class path alike. A provider supplies {@link org.minidiffusion.core.spi.Kernels}:
 * plain loops over {@code float[]} buffers. Shapes, broadcasting rules, argument checks and autograd
 * live in the core, once, so every backend computes the same thing.
 */
package org.minidiffusion.core.spi;
