/**
 * Tokenizers that match the reference ones: GPT-2's byte-level BPE ({@link org.minidiffusion.text.ByteLevelBpe}),
 * CLIP's variant of it (ClipTokenizer), SentencePiece's Unigram
 * (Unigram), and trainers for both (BpeTrainer,
 * UnigramTrainer).
 */
package org.minidiffusion.text;
