package org.minidiffusion.text.caption;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * Writes captions for Fashion-MNIST images from their class and tone, such as "a photo of a dark
 * sneaker" or "light-toned trousers", and lists the words a model trained on them knows.
 *
 * <p>A caption is a template filled with one of the class's nouns ({@link FashionClass#nouns})
 * and, if the image has a tone, one of the tone's words ({@link Tone#words}). In a template,
 * {@code {a}} is one garment with its article ("a dark sneaker", "a pair of pants"), {@code {p}}
 * the plural ("dark sneakers"), and {@code {tone}} the tone word alone; the noun slots then carry no adjective ("a sneaker that is dark"). Templates
 * with {@code {tone}} serve only images with a tone. An image without a tone gets no tone word.
 *
 * <p>{@link Split#TRAINING} captions use only training templates, nouns and tone words;
 * {@link Split#HELD_OUT} captions use at least one held-out part. No held-out template, noun or
 * tone word occurs in any training caption (checked by the tests on every training caption), and
 * every word of a held-out caption occurs in some training caption.
 *
 * <p>For each class, tone and split, the captions are enumerated once in a fixed order (templates,
 * then nouns, then tone words, each in its list's order); {@link #caption} draws one uniformly
 * from that list, so a caption depends only on the draws of the random generator.
 */
public final class Captioner {
    private static final List<String> TRAINING_TEMPLATES = List.of(
            "{a}",
            "a photo of {a}",
            "{p}",
            "a picture of {a}",
            "an image of {a}",
            "a close-up of {a}",
            "a grayscale photo of {a}",
            "a product photo of {a}",
            "a photo of {p}",
            "{a} that is {tone}",
            "{a}, {tone}");
    private static final List<String> HELD_OUT_TEMPLATES = List.of(
            "a grayscale picture of {a}",
            "a close-up photo of {a}",
            "a photo of {a} that is {tone}");

    /** [label][tone][split] -&gt; the captions, in enumeration order. */
    private static final List<List<List<List<String>>>> CAPTIONS = new ArrayList<>();
    private static final SortedSet<String> VOCABULARY;

    static {
        SortedSet<String> words = new TreeSet<>();
        for (FashionClass c : FashionClass.values()) {
            List<List<List<String>>> byTone = new ArrayList<>();
            for (Tone tone : Tone.values()) {
                List<List<String>> bySplit = new ArrayList<>();
                for (Split split : Split.values()) {
                    List<String> list = Collections.unmodifiableList(new ArrayList<>(enumerate(c, tone, split)));
                    bySplit.add(list);
                    if (split == Split.TRAINING) {
                        list.forEach(caption -> words.addAll(words(caption)));
                    }
                }
                byTone.add(bySplit);
            }
            CAPTIONS.add(byTone);
        }
        VOCABULARY = Collections.unmodifiableSortedSet(words);
    }

    private Captioner() {
    }

    /**
     * Returns the templates of a split.
     *
     * @param split which
     * @return the templates, with the slots {@code {a}}, {@code {p}} and {@code {tone}}
     */
    public static List<String> templates(Split split) {
        return Objects.requireNonNull(split, "split") == Split.TRAINING ? TRAINING_TEMPLATES : HELD_OUT_TEMPLATES;
    }

    /**
     * Draws a caption for an image.
     *
     * @param label  the class, 0 to 9
     * @param tone   the image's tone, {@link Tone#NONE} for a caption without one
     * @param split  which phrasings to use: {@link Split#TRAINING} to train, {@link Split#HELD_OUT} to evaluate
     * @param random the source of the one draw
     * @return the caption, lower-case
     * @throws IllegalArgumentException if the label is out of range
     */
    public static String caption(int label, Tone tone, Split split, RandomGenerator random) {
        List<String> all = captions(label, tone, split);
        return all.get(random.nextInt(all.size()));
    }

    /**
     * Captions a dataset split: image {@code i} gets the {@code i}-th draw of a
     * {@link SplittableRandom} seeded with {@code seed}, so the result depends only on the labels,
     * the tones and the seed.
     *
     * @param labels the images' classes
     * @param tones  the images' tones, as {@link Tone#measure} gives them
     * @param split  which phrasings to use
     * @param seed   the seed
     * @return one caption per image, in order
     * @throws IllegalArgumentException if the arrays differ in length or a label is out of range
     */
    public static List<String> captionAll(int[] labels, Tone[] tones, Split split, long seed) {
        if (labels.length != tones.length) {
            throw new IllegalArgumentException("Captioner.captionAll: " + labels.length + " labels but " + tones.length
                    + " tones");
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(labels.length);
        for (int i = 0; i < labels.length; i++) {
            out.add(caption(labels[i], tones[i], split, random));
        }
        return out;
    }

    /**
     * Returns every caption of a class and tone in a split.
     *
     * @param label the class, 0 to 9
     * @param tone  the tone
     * @param split the split
     * @return the distinct captions, in enumeration order (unmodifiable)
     * @throws IllegalArgumentException if the label is out of range
     */
    public static List<String> captions(int label, Tone tone, Split split) {
        return CAPTIONS.get(FashionClass.of(label).label()).get(Objects.requireNonNull(tone, "tone").ordinal())
                .get(Objects.requireNonNull(split, "split").ordinal());
    }

    /**
     * Returns the evaluation prompts of a class and tone: the held-out captions, sorted. For a
     * tone other than {@link Tone#NONE}, each names that tone.
     *
     * @param label the class, 0 to 9
     * @param tone  the tone the prompts ask for
     * @return the prompts, in alphabetical order
     */
    public static List<String> evaluationPrompts(int label, Tone tone) {
        List<String> sorted = new ArrayList<>(captions(label, tone, Split.HELD_OUT));
        Collections.sort(sorted);
        return Collections.unmodifiableList(sorted);
    }

    /**
     * Returns the words of the training captions: all a model trained on them has seen.
     *
     * @return the words, as {@link #words} splits them, sorted
     */
    public static SortedSet<String> vocabulary() {
        return VOCABULARY;
    }

    /**
     * Splits text into words as the vocabulary counts them: lower-cased, runs of letters and
     * digits; everything else separates words ("t-shirt" is "t" and "shirt").
     *
     * @param text any text
     * @return the words, in order
     */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        String lower = text.toLowerCase(Locale.ROOT);
        int start = -1;
        for (int i = 0; i <= lower.length(); ) {
            int c = i < lower.length() ? lower.codePointAt(i) : ' ';
            if (Character.isLetterOrDigit(c)) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                out.add(lower.substring(start, i));
                start = -1;
            }
            i += i < lower.length() ? Character.charCount(c) : 1;
        }
        return out;
    }

    /**
     * Returns the words of a prompt that no training caption has.
     *
     * @param prompt any text
     * @return the unknown words, each once, in order of appearance
     */
    public static List<String> unknownWords(String prompt) {
        Set<String> unknown = new LinkedHashSet<>();
        for (String w : words(prompt)) {
            if (!VOCABULARY.contains(w)) {
                unknown.add(w);
            }
        }
        return List.copyOf(unknown);
    }

    /**
     * Returns a one-line warning about the words of a prompt that no training caption has, for a
     * text-to-image command to print.
     *
     * @param prompt any text
     * @return the warning, or empty if every word is known
     */
    public static Optional<String> unknownWordsWarning(String prompt) {
        List<String> unknown = unknownWords(prompt);
        if (unknown.isEmpty()) {
            return Optional.empty();
        }
        int words = words(prompt).size();
        return Optional.of((unknown.size() == 1 ? "the word " : "the words ")
                + unknown.stream().map(w -> "\"" + w + "\"").collect(Collectors.joining(", "))
                + (unknown.size() == 1 ? " is" : " are") + " not in any training caption (" + unknown.size() + " of "
                + words + " words unknown), so the model has never seen "
                + (unknown.size() == 1 ? "it" : "them") + "; the captions name the ten Fashion-MNIST classes"
                + " and a tone, such as \"a photo of a dark sneaker\"");
    }

    /**
     * What a prompt names, in the captions' vocabulary.
     *
     * @param garment the class named
     * @param tone    the tone named, {@link Tone#NONE} if none is (or both are)
     */
    public record Parsed(FashionClass garment, Tone tone) {
        /**
         * Checks the parts.
         *
         * @param garment the class, not null
         * @param tone    the tone, not null
         */
        public Parsed {
            Objects.requireNonNull(garment, "garment");
            Objects.requireNonNull(tone, "tone");
        }
    }

    /**
     * Reads the class and the tone a prompt names with the captions' nouns and tone words, those
     * of training captions and the held-out ones, singular or plural: "a photo of a dark sneaker"
     * is a dark {@link FashionClass#SNEAKER}, "light-coloured long jackets" a light
     * {@link FashionClass#COAT}. Words are compared as {@link #words} splits them, so case and
     * punctuation do not matter; where names overlap, the longest wins ("a t-shirt" is a T-shirt,
     * not a shirt; "a leather ankle boot" an ankle boot).
     *
     * @param prompt any text
     * @return the class and tone, or empty if the prompt names no class or names two
     */
    public static Optional<Parsed> parse(String prompt) {
        List<String> words = words(prompt);
        List<Match<FashionClass>> garments = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Split split : Split.values()) {
                for (Noun noun : c.nouns(split)) {
                    find(words, noun.singular(), c, garments);
                    find(words, noun.plural(), c, garments);
                }
            }
        }
        Set<FashionClass> named = outermost(garments);
        if (named.size() != 1) {
            return Optional.empty();
        }
        List<Match<Tone>> tones = new ArrayList<>();
        for (Tone tone : Tone.values()) {
            for (Split split : Split.values()) {
                for (String word : tone.words(split)) {
                    find(words, word, tone, tones);
                }
            }
        }
        Set<Tone> toneNamed = outermost(tones);
        return Optional.of(new Parsed(named.iterator().next(), toneNamed.size() == 1 ? toneNamed.iterator().next() : Tone.NONE));
    }

    /** A phrase found at words {@code [start, end)}, standing for {@code value}. */
    private record Match<T>(int start, int end, T value) {
        boolean within(Match<?> other) {
            return other.start <= start && end <= other.end && other.end - other.start > end - start;
        }
    }

    /** Adds every occurrence of {@code phrase}'s words, next to each other, among {@code words}. */
    private static <T> void find(List<String> words, String phrase, T value, List<Match<T>> out) {
        List<String> target = words(phrase);
        for (int i = 0; i + target.size() <= words.size(); i++) {
            if (words.subList(i, i + target.size()).equals(target)) {
                out.add(new Match<>(i, i + target.size(), value));
            }
        }
    }

    /** Returns the values of the matches that no longer match contains. */
    private static <T> Set<T> outermost(List<Match<T>> matches) {
        Set<T> values = new LinkedHashSet<>();
        for (Match<T> m : matches) {
            if (matches.stream().noneMatch(m::within)) {
                values.add(m.value());
            }
        }
        return values;
    }

    private static Set<String> enumerate(FashionClass c, Tone tone, Split split) {
        Set<String> out = new LinkedHashSet<>();
        for (Part<String> template : parts(TRAINING_TEMPLATES, HELD_OUT_TEMPLATES)) {
            boolean toneSlot = template.value().contains("{tone}");
            if (toneSlot && tone == Tone.NONE) {
                continue;
            }
            for (Part<Noun> noun : parts(c.nouns(Split.TRAINING), c.nouns(Split.HELD_OUT))) {
                List<Part<String>> toneWords = tone == Tone.NONE ? List.of(new Part<>("", false))
                        : parts(tone.words(Split.TRAINING), tone.words(Split.HELD_OUT));
                for (Part<String> word : toneWords) {
                    boolean held = template.heldOut() || noun.heldOut() || word.heldOut();
                    if (held == (split == Split.HELD_OUT)) {
                        out.add(fill(template.value(), noun.value(), word.value(), toneSlot));
                    }
                }
            }
        }
        return out;
    }

    /** A template, noun or tone word, and which list it comes from. */
    private record Part<T>(T value, boolean heldOut) {
    }

    private static <T> List<Part<T>> parts(List<T> training, List<T> heldOut) {
        List<Part<T>> out = new ArrayList<>();
        training.forEach(t -> out.add(new Part<>(t, false)));
        heldOut.forEach(t -> out.add(new Part<>(t, true)));
        return out;
    }

    private static String fill(String template, Noun noun, String toneWord, boolean toneSlot) {
        String adjective = toneSlot ? "" : toneWord;
        return template.replace("{tone}", toneWord).replace("{a}", noun.withArticle(adjective))
                .replace("{p}", noun.many(adjective));
    }
}
