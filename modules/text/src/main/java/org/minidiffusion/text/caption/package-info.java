/**
 * Captions for Fashion-MNIST built from each image's class and a tone measured on its pixels
 * ({@link org.minidiffusion.text.caption.Captioner}, {@link org.minidiffusion.text.caption.Tone}),
 * with the templates and synonyms split into a training part and a part kept for evaluation
 * ({@link org.minidiffusion.text.caption.Split}).
 */
package org.minidiffusion.text.caption;
