package org.minidiffusion.text.caption;

import java.util.List;
import java.util.Objects;

/**
 * The ten Fashion-MNIST classes (Xiao et al. 2017), each with the nouns captions name it by: the
 * training synonyms, and the held-out ones that only evaluation prompts use. Every word of a
 * held-out synonym also occurs in some training caption (as "long" in "long jacket", held out,
 * from "long coat"), so evaluation asks for new combinations of known words.
 */
public enum FashionClass {
    /** Label 0. */
    T_SHIRT("T-shirt/top",
            List.of(Noun.countable("t-shirt", "t-shirts"), Noun.countable("tee", "tees"), Noun.countable("top", "tops"),
                    Noun.countable("short-sleeved top", "short-sleeved tops")),
            List.of(Noun.countable("short-sleeved t-shirt", "short-sleeved t-shirts"))),
    /** Label 1. */
    TROUSER("Trouser",
            List.of(Noun.pairOf("trousers"), Noun.pairOf("pants"), Noun.pairOf("slacks")),
            List.of(Noun.pairOf("long pants"))),
    /** Label 2. */
    PULLOVER("Pullover",
            List.of(Noun.countable("pullover", "pullovers"), Noun.countable("sweater", "sweaters"),
                    Noun.countable("jumper", "jumpers"), Noun.countable("knitted sweater", "knitted sweaters")),
            List.of(Noun.countable("knitted jumper", "knitted jumpers"))),
    /** Label 3. */
    DRESS("Dress",
            List.of(Noun.countable("dress", "dresses"), Noun.countable("frock", "frocks"),
                    Noun.countable("summer dress", "summer dresses")),
            List.of(Noun.countable("summer frock", "summer frocks"))),
    /** Label 4. */
    COAT("Coat",
            List.of(Noun.countable("coat", "coats"), Noun.countable("jacket", "jackets"),
                    Noun.countable("long coat", "long coats")),
            List.of(Noun.countable("long jacket", "long jackets"))),
    /** Label 5. */
    SANDAL("Sandal",
            List.of(Noun.countable("sandal", "sandals"), Noun.countable("strappy sandal", "strappy sandals"),
                    Noun.countable("open-toe shoe", "open-toe shoes")),
            List.of(Noun.countable("strappy shoe", "strappy shoes"))),
    /** Label 6. */
    SHIRT("Shirt",
            List.of(Noun.countable("shirt", "shirts"), Noun.countable("blouse", "blouses"),
                    Noun.countable("long-sleeved shirt", "long-sleeved shirts")),
            List.of(Noun.countable("long-sleeved blouse", "long-sleeved blouses"))),
    /** Label 7. */
    SNEAKER("Sneaker",
            List.of(Noun.countable("sneaker", "sneakers"), Noun.countable("trainer", "trainers"),
                    Noun.countable("running shoe", "running shoes")),
            List.of(Noun.countable("running sneaker", "running sneakers"))),
    /** Label 8. */
    BAG("Bag",
            List.of(Noun.countable("bag", "bags"), Noun.countable("handbag", "handbags"),
                    Noun.countable("tote bag", "tote bags"), Noun.countable("purse", "purses")),
            List.of(Noun.countable("leather handbag", "leather handbags"))),
    /** Label 9. */
    ANKLE_BOOT("Ankle boot",
            List.of(Noun.countable("ankle boot", "ankle boots"), Noun.countable("boot", "boots"),
                    Noun.countable("leather boot", "leather boots")),
            List.of(Noun.countable("leather ankle boot", "leather ankle boots")));

    private static final FashionClass[] BY_LABEL = values();

    private final String datasetName;
    private final List<Noun> training;
    private final List<Noun> heldOut;

    FashionClass(String datasetName, List<Noun> training, List<Noun> heldOut) {
        this.datasetName = datasetName;
        this.training = training;
        this.heldOut = heldOut;
    }

    /**
     * Returns the class with a label.
     *
     * @param label 0 to 9
     * @return the class
     * @throws IllegalArgumentException if the label is out of range
     */
    public static FashionClass of(int label) {
        if (label < 0 || label >= BY_LABEL.length) {
            throw new IllegalArgumentException("FashionClass.of: label " + label + " is not a Fashion-MNIST class (0 to 9)");
        }
        return BY_LABEL[label];
    }

    /**
     * Returns the label.
     *
     * @return 0 to 9
     */
    public int label() {
        return ordinal();
    }

    /**
     * Returns the class name of the dataset.
     *
     * @return such as {@code "Ankle boot"}
     */
    public String datasetName() {
        return datasetName;
    }

    /**
     * Returns the nouns of one split: the training synonyms, or the held-out ones.
     *
     * @param split which
     * @return the nouns, the most common first
     */
    public List<Noun> nouns(Split split) {
        return Objects.requireNonNull(split, "split") == Split.TRAINING ? training : heldOut;
    }
}
