/**
 * The implementation of tensors, autograd and discovery; not exported.
 */
package org.minidiffusion.core.internal;
