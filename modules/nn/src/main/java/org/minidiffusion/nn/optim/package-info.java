/**
 * Optimisers (SGD, Adam, AdamW), learning-rate schedules, gradient clipping, EMA weights, and the
 * order of the training batches ({@link org.minidiffusion.nn.optim.BatchOrder}).
 *
 * <p>Adam updates each parameter in place with one fused kernel
 * ({@link org.minidiffusion.core.api.Parameter#adamStep}), its moments and the EMA weights live in
 * {@link org.minidiffusion.core.api.StateBuffer}s updated in place, so a training step's optimiser
 * allocates nothing after the first step; SGD replaces values ({@link org.minidiffusion.core.api.Parameter#set}).
 * Updates run with recording off. Optimiser state is exposed as named tensors (copies) so that a
 * checkpoint can resume training exactly.
 */
package org.minidiffusion.nn.optim;
