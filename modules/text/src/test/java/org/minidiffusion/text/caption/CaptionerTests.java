package org.minidiffusion.text.caption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Captions: determinism, the training/held-out split, grammar, reachability, and the unknown-word warning. */
class CaptionerTests {
    /** Every training caption of every class and tone. */
    static List<String> allTraining() {
        List<String> all = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                all.addAll(Captioner.captions(c.label(), t, Split.TRAINING));
            }
        }
        return all;
    }

    /** Whether {@code phrase}'s words occur, in order and next to each other, among {@code text}'s words. */
    static boolean containsPhrase(String text, String phrase) {
        return Collections.indexOfSubList(Captioner.words(text), Captioner.words(phrase)) >= 0;
    }

    /** A template as a pattern that any filling of its slots matches. */
    static Pattern pattern(String template) {
        StringBuilder b = new StringBuilder();
        for (String part : template.split("\\{(a|p|tone)}", -1)) {
            if (b.length() > 0) {
                b.append(".+");
            }
            b.append(Pattern.quote(part));
        }
        return Pattern.compile(b.toString());
    }

    @Test
    void captionsAreDeterministicBySeed() {
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        Tone[] tones = {Tone.DARK, Tone.LIGHT, Tone.NONE, Tone.DARK, Tone.LIGHT, Tone.NONE, Tone.DARK, Tone.LIGHT,
                Tone.NONE, Tone.DARK};
        List<String> first = Captioner.captionAll(labels, tones, Split.TRAINING, 1);
        assertEquals(first, Captioner.captionAll(labels, tones, Split.TRAINING, 1));
        assertNotEquals(first, Captioner.captionAll(labels, tones, Split.TRAINING, 2));
        // Pinned: the corpus of a seed must not change unnoticed (the enumeration order and the draws).
        assertEquals(List.of("an image of a deep-toned t-shirt", "a pair of pants that is light", "a sweater",
                "a dress that is dark-coloured", "a product photo of a light long coat", "an image of a sandal",
                "a photo of dark long-sleeved shirts", "pale sneakers", "a purse", "a leather boot that is dark"), first);
        // caption() is one draw: the same generator state gives the same caption.
        assertEquals(Captioner.caption(7, Tone.DARK, Split.HELD_OUT, new SplittableRandom(5)),
                Captioner.caption(7, Tone.DARK, Split.HELD_OUT, new SplittableRandom(5)));
        assertEquals("Captioner.captionAll: 2 labels but 1 tones", assertThrows(IllegalArgumentException.class,
                () -> Captioner.captionAll(new int[2], new Tone[1], Split.TRAINING, 0)).getMessage());
    }

    @Test
    void noHeldOutTemplateNounOrToneWordAppearsInAnyTrainingCaption() {
        List<String> training = allTraining();
        List<String> heldOutPhrases = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Noun n : c.nouns(Split.HELD_OUT)) {
                heldOutPhrases.add(n.singular());
                heldOutPhrases.add(n.plural());
            }
        }
        for (Tone t : Tone.values()) {
            heldOutPhrases.addAll(t.words(Split.HELD_OUT));
        }
        List<Pattern> heldOutTemplates = Captioner.templates(Split.HELD_OUT).stream().map(CaptionerTests::pattern).toList();
        for (String caption : training) {
            for (String phrase : heldOutPhrases) {
                if (containsPhrase(caption, phrase)) {
                    fail("the held-out phrase \"" + phrase + "\" occurs in the training caption \"" + caption + "\"");
                }
            }
            for (Pattern p : heldOutTemplates) {
                if (p.matcher(caption).matches()) {
                    fail("the training caption \"" + caption + "\" has the form of the held-out template " + p);
                }
            }
        }
        // And every held-out caption has a held-out part, so the two sets are disjoint.
        Set<String> trainingSet = new HashSet<>(training);
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                for (String caption : Captioner.captions(c.label(), t, Split.HELD_OUT)) {
                    assertFalse(trainingSet.contains(caption), caption);
                    boolean held = heldOutPhrases.stream().anyMatch(p -> containsPhrase(caption, p))
                            || heldOutTemplates.stream().anyMatch(p -> p.matcher(caption).matches());
                    assertTrue(held, "the held-out caption \"" + caption + "\" has no held-out part");
                }
            }
        }
        assertEquals(3, Captioner.templates(Split.HELD_OUT).size());
        assertEquals(2475, training.size());
    }

    @Test
    void heldOutPromptsUseOnlyWordsTheTrainingCaptionsKnow() {
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                List<String> prompts = Captioner.evaluationPrompts(c.label(), t);
                assertTrue(prompts.size() >= 17, c + " " + t + ": " + prompts.size());
                List<String> sorted = new ArrayList<>(prompts);
                Collections.sort(sorted);
                assertEquals(sorted, prompts);
                for (String p : prompts) {
                    assertEquals(List.of(), Captioner.unknownWords(p), p);
                }
            }
        }
        assertTrue(Captioner.evaluationPrompts(7, Tone.DARK).contains("a close-up photo of a dark running sneaker"));
        assertTrue(Captioner.evaluationPrompts(1, Tone.LIGHT).contains("a pair of light-coloured trousers"));
        assertTrue(Captioner.evaluationPrompts(9, Tone.NONE).contains("a grayscale picture of an ankle boot"));
    }

    @Test
    void everyClassToneAndNounIsReachable() {
        for (FashionClass c : FashionClass.values()) {
            assertEquals(c, FashionClass.of(c.label()));
            for (Tone t : Tone.values()) {
                SplittableRandom random = new SplittableRandom(c.label() * 3L + t.ordinal());
                Set<String> drawn = new HashSet<>();
                for (int i = 0; i < 3000; i++) {
                    drawn.add(Captioner.caption(c.label(), t, Split.TRAINING, random));
                }
                // 3000 uniform draws from at most 132 captions reach them all (missing one has odds below 1e-9).
                assertEquals(new HashSet<>(Captioner.captions(c.label(), t, Split.TRAINING)), drawn, c + " " + t);
                for (Noun n : c.nouns(Split.TRAINING)) {
                    assertTrue(drawn.stream().anyMatch(s -> containsPhrase(s, n.singular()) || containsPhrase(s, n.plural())),
                            c + " " + t + " never says " + n);
                }
                for (String w : t.words(Split.TRAINING)) {
                    assertTrue(drawn.stream().anyMatch(s -> containsPhrase(s, w)), c + " " + t + " never says " + w);
                }
            }
        }
        assertEquals("Ankle boot", FashionClass.of(9).datasetName());
        assertEquals("FashionClass.of: label -1 is not a Fashion-MNIST class (0 to 9)",
                assertThrows(IllegalArgumentException.class, () -> Captioner.captions(-1, Tone.DARK, Split.TRAINING)).getMessage());
    }

    @Test
    void captionsNameTheirToneAndOnlyIt() {
        for (Split split : Split.values()) {
            for (FashionClass c : FashionClass.values()) {
                for (Tone t : Tone.values()) {
                    for (String caption : Captioner.captions(c.label(), t, split)) {
                        for (Tone other : List.of(Tone.DARK, Tone.LIGHT)) {
                            boolean names = false;
                            for (Split s : Split.values()) {
                                for (String w : other.words(s)) {
                                    names |= containsPhrase(caption, w);
                                }
                            }
                            assertEquals(other == t, names, caption + " (" + t + ")");
                        }
                        boolean namesClass = false;
                        for (Split s : Split.values()) {
                            for (Noun n : c.nouns(s)) {
                                namesClass |= containsPhrase(caption, n.singular()) || containsPhrase(caption, n.plural());
                            }
                        }
                        assertTrue(namesClass, caption + " does not name " + c);
                    }
                }
            }
        }
    }

    @Test
    void articlesAndPairNounsAreEnglish() {
        Pattern wrongA = Pattern.compile("(^|\\s)a [aeio]");
        Pattern wrongAn = Pattern.compile("(^|\\s)an [^aeio]");
        for (Split split : Split.values()) {
            for (FashionClass c : FashionClass.values()) {
                for (Tone t : Tone.values()) {
                    for (String caption : Captioner.captions(c.label(), t, split)) {
                        assertFalse(wrongA.matcher(caption).find() || wrongAn.matcher(caption).find(), caption);
                        assertEquals(caption.strip(), caption);
                        assertFalse(caption.contains("  ") || caption.contains("{"), caption);
                        if (c == FashionClass.TROUSER) {
                            assertFalse(caption.contains("a trousers") || caption.contains("a pants"), caption);
                        }
                    }
                }
            }
        }
        assertTrue(Captioner.captions(9, Tone.NONE, Split.TRAINING).contains("an ankle boot"));
        assertTrue(Captioner.captions(9, Tone.DARK, Split.TRAINING).contains("a dark ankle boot"));
        assertTrue(Captioner.captions(1, Tone.DARK, Split.TRAINING).contains("a photo of a pair of dark trousers"));
        assertTrue(Captioner.captions(1, Tone.LIGHT, Split.TRAINING).contains("light-toned trousers"));
        assertTrue(Captioner.captions(5, Tone.NONE, Split.TRAINING).contains("an open-toe shoe"));
        assertTrue(Captioner.captions(7, Tone.LIGHT, Split.TRAINING).contains("a sneaker that is pale"));
        assertFalse(Captioner.captions(7, Tone.NONE, Split.TRAINING).stream().anyMatch(s -> s.contains("that is")));
    }

    @Test
    void unknownWordsAreListedOnceInOrder() {
        assertEquals(List.of(), Captioner.unknownWords("A Photo of a DARK sneaker!"));
        assertEquals(List.of(), Captioner.unknownWords("light-toned trousers, a pair of pants"));
        assertEquals(List.of("purple", "zebra"), Captioner.unknownWords("a purple zebra, a Purple sneaker"));
        assertEquals(List.of("sneakerz", "2"), Captioner.unknownWords("sneakerz 2 sneakerz 2"));
        assertEquals(List.of("xyzzy", "plugh"), Captioner.unknownWords("xyzzy plugh"));
        assertEquals(List.of("t", "shirt"), Captioner.words("T-Shirt"));
        assertEquals(List.of("été", "x1"), Captioner.words("  Été...x1 "));
        assertEquals(Optional.empty(), Captioner.unknownWordsWarning("a pale sneaker"));
        assertEquals(Optional.of("the words \"purple\", \"zebra\" are not in any training caption (2 of 4 words unknown),"
                + " so the model has never seen them; the captions name the ten Fashion-MNIST classes and a tone, such as"
                + " \"a photo of a dark sneaker\""), Captioner.unknownWordsWarning("a purple zebra sneaker"));
        assertEquals(Optional.of("the word \"glorp\" is not in any training caption (1 of 1 words unknown), so the model"
                + " has never seen it; the captions name the ten Fashion-MNIST classes and a tone, such as"
                + " \"a photo of a dark sneaker\""), Captioner.unknownWordsWarning("glorp"));
        // The vocabulary is exactly the training captions' words.
        Set<String> words = new HashSet<>();
        allTraining().forEach(c -> words.addAll(Captioner.words(c)));
        assertEquals(words, Set.copyOf(Captioner.vocabulary()));
        assertEquals(73, Captioner.vocabulary().size());
    }

    @Test
    void nounsRejectBadForms() {
        assertEquals("Noun: each form must be lower-case words, got \"Sneaker\"",
                assertThrows(IllegalArgumentException.class, () -> Noun.countable("Sneaker", "sneakers")).getMessage());
        assertEquals("Noun: a pair noun has one form, got \"pants\" and \"pant\"",
                assertThrows(IllegalArgumentException.class, () -> new Noun("pants", "pant", true)).getMessage());
        assertEquals("a pair of dark jeans", Noun.pairOf("jeans").withArticle("dark"));
        assertEquals("an ankle boot", Noun.countable("ankle boot", "ankle boots").withArticle(""));
        assertEquals("pale ankle boots", Noun.countable("ankle boot", "ankle boots").many("pale"));
    }

    @Test
    void parseReadsTheClassAndToneOfEveryCaptionOfBothSplits() {
        int checked = 0;
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                for (Split split : Split.values()) {
                    for (String caption : Captioner.captions(c.label(), t, split)) {
                        assertEquals(Optional.of(new Captioner.Parsed(c, t)), Captioner.parse(caption), caption);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 1000, checked + " captions");
    }

    @Test
    void parseTakesTheLongestNameAndRefusesTwoClasses() {
        assertEquals(Optional.of(new Captioner.Parsed(FashionClass.T_SHIRT, Tone.NONE)), Captioner.parse("A T-Shirt!"));
        assertEquals(Optional.of(new Captioner.Parsed(FashionClass.SHIRT, Tone.LIGHT)), Captioner.parse("a pale shirt"));
        assertEquals(Optional.of(new Captioner.Parsed(FashionClass.SNEAKER, Tone.DARK)),
                Captioner.parse("running shoes, dark-toned"));
        assertEquals(Optional.of(new Captioner.Parsed(FashionClass.SANDAL, Tone.NONE)), Captioner.parse("a strappy shoe"));
        assertEquals(Optional.of(new Captioner.Parsed(FashionClass.BAG, Tone.NONE)),
                Captioner.parse("a dark and light bag"), "both tones name none");
        assertEquals(Optional.empty(), Captioner.parse("a bag and a dress"));
        assertEquals(Optional.empty(), Captioner.parse("a red car"));
        assertEquals(Optional.empty(), Captioner.parse(""));
    }
}
