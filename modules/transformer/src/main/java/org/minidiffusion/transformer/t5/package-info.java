/**
 * T5's encoder (Raffel et al. 2020, with the v1.1 changes), as Hugging Face's
 * {@code T5EncoderModel}: {@link org.minidiffusion.transformer.t5.T5EncoderModel}, built from a
 * {@link org.minidiffusion.transformer.t5.T5Config}.
 */
package org.minidiffusion.transformer.t5;
