/**
 * The backend test kit: {@link org.minidiffusion.testkit.BackendTestKit}, the suite a backend
 * subclasses; {@link org.minidiffusion.testkit.Tolerance}, the one definition of closeness; and
 * {@link org.minidiffusion.testkit.TensorAssert}, which reports the worst element of a mismatch.
 */
package org.minidiffusion.testkit;
