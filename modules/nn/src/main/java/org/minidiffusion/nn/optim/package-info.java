/**
 * Optimisers (SGD, Adam, AdamW), learning-rate schedules, gradient clipping and EMA weights.
 *
 * <p>Parameters are updated by replacing their values ({@link org.minidiffusion.core.api.Parameter#set}),
 * computed with recording off. Optimiser state is exposed as named tensors so that a checkpoint can
 * resume training exactly.
 */
package org.minidiffusion.nn.optim;
