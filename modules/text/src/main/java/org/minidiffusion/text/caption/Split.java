package org.minidiffusion.text.caption;

/** Which phrasings a caption may use: those for training, or those kept out of training for evaluation. */
public enum Split {
    /** Only the training templates, synonyms and tone words. */
    TRAINING,
    /**
     * At least one held-out template, synonym or tone word, the other parts being training ones: a
     * phrasing no training caption has. Used only to evaluate.
     */
    HELD_OUT
}
