package org.minidiffusion.text.caption;

import java.util.Locale;

/**
 * A name of a garment, with its singular and plural. A pair noun such as "trousers" has no
 * singular of its own: one garment is "a pair of trousers", and a tone adjective goes before the
 * plural, as in "a pair of dark trousers".
 *
 * @param singular the singular, such as {@code "running shoe"}; for a pair noun, the plural
 * @param plural   the plural, such as {@code "running shoes"}
 * @param pair     whether one garment is "a pair of" the plural
 */
public record Noun(String singular, String plural, boolean pair) {
    /**
     * Checks the words: lower-case, not blank.
     *
     * @param singular the singular; for a pair noun, the plural
     * @param plural   the plural
     * @param pair     whether one garment is "a pair of" the plural
     * @throws IllegalArgumentException if a form is blank or not lower-case, or a pair noun's singular differs from its plural
     */
    public Noun {
        for (String form : new String[] {singular, plural}) {
            if (form == null || form.isBlank() || !form.equals(form.toLowerCase(Locale.ROOT)) || !form.equals(form.strip())) {
                throw new IllegalArgumentException("Noun: each form must be lower-case words, got \"" + form + "\"");
            }
        }
        if (pair && !singular.equals(plural)) {
            throw new IllegalArgumentException("Noun: a pair noun has one form, got \"" + singular + "\" and \"" + plural + "\"");
        }
    }

    /**
     * A countable noun.
     *
     * @param singular such as {@code "sneaker"}
     * @param plural   such as {@code "sneakers"}
     * @return the noun
     */
    public static Noun countable(String singular, String plural) {
        return new Noun(singular, plural, false);
    }

    /**
     * A pair noun such as {@code "trousers"}: one garment is "a pair of trousers".
     *
     * @param plural the only form
     * @return the noun
     */
    public static Noun pairOf(String plural) {
        return new Noun(plural, plural, true);
    }

    /**
     * One garment, without an article: "dark sneaker", "pair of dark trousers".
     *
     * @param adjective a tone word, or {@code ""}
     * @return the phrase
     */
    public String one(String adjective) {
        String adj = adjective.isEmpty() ? "" : adjective + " ";
        return pair ? "pair of " + adj + plural : adj + singular;
    }

    /**
     * One garment with its indefinite article: "a dark sneaker", "an ankle boot", "a pair of trousers".
     *
     * @param adjective a tone word, or {@code ""}
     * @return the phrase
     */
    public String withArticle(String adjective) {
        String phrase = one(adjective);
        return ("aeio".indexOf(phrase.charAt(0)) >= 0 ? "an " : "a ") + phrase;
    }

    /**
     * The plural, with the adjective: "dark sneakers", "trousers".
     *
     * @param adjective a tone word, or {@code ""}
     * @return the phrase
     */
    public String many(String adjective) {
        return adjective.isEmpty() ? plural : adjective + " " + plural;
    }
}
