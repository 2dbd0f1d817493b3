package org.minidiffusion.demos;

import java.util.List;
import java.util.Locale;

/**
 * How often a classifier labels generated images as the class they were generated for, per
 * class and overall: the conditional accuracy of a class-conditional generator.
 *
 * @param requested the number of images generated for each class
 * @param correct   how many of those the classifier labelled as that class
 * @param confusion {@code confusion[r][p]}: images generated for class r and labelled p
 */
record ConditionalAccuracy(int[] requested, int[] correct, int[][] confusion) {

    /**
     * Counts agreements between requested and predicted labels.
     *
     * @param requested the class each image was generated for
     * @param predicted the class the classifier gave each image
     * @param classes   the number of classes
     * @return the counts
     * @throws IllegalArgumentException if the arrays differ in length or a label is out of range
     */
    static ConditionalAccuracy of(int[] requested, int[] predicted, int classes) {
        if (requested.length != predicted.length) {
            throw new IllegalArgumentException("ConditionalAccuracy: " + requested.length + " requested labels but "
                    + predicted.length + " predictions");
        }
        int[] total = new int[classes];
        int[] correct = new int[classes];
        int[][] confusion = new int[classes][classes];
        for (int i = 0; i < requested.length; i++) {
            int r = requested[i];
            int p = predicted[i];
            if (r < 0 || r >= classes || p < 0 || p >= classes) {
                throw new IllegalArgumentException("ConditionalAccuracy: label out of [0, " + classes + "): requested "
                        + r + ", predicted " + p);
            }
            total[r]++;
            confusion[r][p]++;
            if (r == p) {
                correct[r]++;
            }
        }
        return new ConditionalAccuracy(total, correct, confusion);
    }

    /**
     * Classifies generated images and counts the agreements.
     *
     * @param classifier the classifier
     * @param images     the generated images
     * @param requested  the class each was generated for
     * @param classes    the number of classes
     * @return the counts
     */
    static ConditionalAccuracy measure(ImageClassifier classifier, org.minidiffusion.core.api.Tensor images,
                                       int[] requested, int classes) {
        return of(requested, classifier.classify(images), classes);
    }

    /**
     * Returns the fraction of one class's images labelled as that class.
     *
     * @param label the class
     * @return the fraction, NaN if no image was generated for it
     */
    double accuracy(int label) {
        return requested[label] == 0 ? Double.NaN : (double) correct[label] / requested[label];
    }

    /**
     * Returns the fraction of all images labelled as the class they were generated for.
     *
     * @return the fraction, NaN if there are no images
     */
    double overall() {
        int n = 0;
        int c = 0;
        for (int i = 0; i < requested.length; i++) {
            n += requested[i];
            c += correct[i];
        }
        return n == 0 ? Double.NaN : (double) c / n;
    }

    /**
     * Returns the label given most often to a class's images other than the class itself.
     *
     * @param label the class
     * @return the most frequent wrong label, or −1 if every image was labelled correctly
     */
    int mostConfusedWith(int label) {
        int best = -1;
        for (int p = 0; p < confusion[label].length; p++) {
            if (p != label && confusion[label][p] > 0 && (best < 0 || confusion[label][p] > confusion[label][best])) {
                best = p;
            }
        }
        return best;
    }

    /**
     * Formats a table with one line per class and a last line for all classes.
     *
     * @param names the class names
     * @return the lines
     */
    List<String> table(List<String> names) {
        java.util.ArrayList<String> lines = new java.util.ArrayList<>();
        int width = Math.max(7, names.stream().mapToInt(String::length).max().orElse(7));
        for (int c = 0; c < requested.length; c++) {
            if (requested[c] == 0) {
                continue;
            }
            int wrong = mostConfusedWith(c);
            lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %3d/%-3d  %5.1f%%%s", names.get(c), correct[c],
                    requested[c], 100 * accuracy(c), wrong < 0 ? "" : "   most often mistaken for "
                            + names.get(wrong) + " (" + confusion[c][wrong] + ")"));
        }
        int n = java.util.Arrays.stream(requested).sum();
        int k = java.util.Arrays.stream(correct).sum();
        lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %3d/%-3d  %5.1f%%", "overall", k, n, 100 * overall()));
        return lines;
    }
}
