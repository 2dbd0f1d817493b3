/**
 * Tokenizers for text prompts: GPT-2 and CLIP byte-level BPE and SentencePiece/T5 Unigram, with
 * trainers; and Fashion-MNIST captions to train them and text encoders on ({@code caption}). It
 * needs no tensor code; vocabularies live in Eclipse Collections primitive maps, which no
 * exported signature shows.
 */
module org.minidiffusion.text {
    requires org.eclipse.collections.api;
    requires org.eclipse.collections.impl;

    exports org.minidiffusion.text;
    exports org.minidiffusion.text.caption;
}
