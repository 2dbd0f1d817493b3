package org.minidiffusion.io.chart;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tick marks of an axis: where they go and how they are labelled.
 *
 * <p>A linear axis uses the "loose labeling" of Heckbert, "Nice numbers for graph labels",
 * Graphics Gems (1990), pp. 61-63: the tick spacing is a "nice" number, 1, 2 or 5 times a power
 * of ten, and the axis runs from the multiple of the spacing at or below the data's minimum to
 * the one at or above its maximum, so both ends carry a label. Labels show as many fraction
 * digits as the spacing needs.
 *
 * <p>A logarithmic axis keeps the data's range and puts ticks at 1 to 9 times the powers of ten
 * within it, or at 1, 2 and 5 times them, or at the powers alone, taking the densest of the three
 * that stays within the largest count asked for; over too many decades it labels every second or
 * third power only. When that gives fewer than four ticks (a range of about a decade or less),
 * Heckbert's linear ticks within the range are used if they are more.
 *
 * @param min    the axis' low end
 * @param max    the axis' high end
 * @param values the tick positions, ascending, within {@code [min, max]}
 * @param labels the label of each tick
 */
record Ticks(double min, double max, List<Double> values, List<String> labels) {
    /**
     * Returns Heckbert's nice number near {@code x}: 1, 2, 5 or 10 times a power of ten.
     *
     * @param x     a positive number
     * @param round whether to round to the nearest (thresholds 1.5, 3 and 7) or to take the
     *              smallest nice number at or above {@code x}
     * @return the nice number
     */
    static double niceNumber(double x, boolean round) {
        double exponent = Math.floor(Math.log10(x));
        double power = Math.pow(10, exponent);
        double fraction = x / power;
        double nice;
        if (round) {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        }
        return nice * power;
    }

    /**
     * Returns Heckbert's loose labeling of {@code [min, max]} with about {@code count} ticks.
     *
     * @param min      the data's minimum
     * @param max      the data's maximum, greater than {@code min}
     * @param count    the number of ticks wanted, at least 2
     * @param integers whether only whole numbers may be ticks (a step count, say): the spacing is
     *                 then at least 1
     * @return the axis range, from the first tick to the last, and its ticks
     */
    static Ticks linear(double min, double max, int count, boolean integers) {
        double range = niceNumber(max - min, false);
        double spacing = niceNumber(range / (count - 1), true);
        if (integers) {
            spacing = Math.max(1, spacing);
        }
        long first = (long) Math.floor(min / spacing);
        long last = (long) Math.ceil(max / spacing);
        int fractionDigits = (int) Math.max(-Math.floor(Math.log10(spacing)), 0);
        List<Double> values = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (long k = first; k <= last; k++) {
            double v = k * spacing;
            values.add(v);
            labels.add(String.format(Locale.ROOT, "%." + fractionDigits + "f", v + 0.0));
        }
        return new Ticks(first * spacing, last * spacing, values, labels);
    }

    /**
     * Returns the ticks of a logarithmic axis from {@code min} to {@code max}.
     *
     * @param min      the axis' low end, positive
     * @param max      the axis' high end, greater than {@code min}
     * @param maxCount the largest number of ticks wanted, at least 2
     * @return the range as given, and its ticks
     */
    static Ticks logarithmic(double min, double max, int maxCount) {
        Ticks powers = powersOfTen(min, max, maxCount);
        if (powers.values.size() >= 4) {
            return powers;
        }
        // Within a decade or so, Heckbert's linear ticks inside the range give more labels.
        Ticks loose = linear(min, max, maxCount, false);
        List<Double> values = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < loose.values.size(); i++) {
            double v = loose.values.get(i);
            if (v >= min && v <= max) {
                values.add(v);
                labels.add(loose.labels.get(i));
            }
        }
        return values.size() > powers.values.size() && values.size() <= maxCount
                ? new Ticks(min, max, values, labels) : powers;
    }

    /** The densest of 1-9, 1-2-5 or 1 times the powers of ten in range with at most {@code maxCount} ticks. */
    private static Ticks powersOfTen(double min, double max, int maxCount) {
        int[][] mantissas = {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 5}, {1}};
        int lowExponent = (int) Math.floor(Math.log10(min));
        int highExponent = (int) Math.ceil(Math.log10(max));
        List<Double> values = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Integer> exponents = new ArrayList<>();
        for (int[] set : mantissas) {
            values.clear();
            labels.clear();
            exponents.clear();
            for (int e = lowExponent; e <= highExponent; e++) {
                for (int m : set) {
                    double v = BigDecimal.valueOf(m).scaleByPowerOfTen(e).doubleValue();
                    if (v >= min && v <= max) {
                        values.add(v);
                        labels.add(powerLabel(m, e));
                        exponents.add(e);
                    }
                }
            }
            if (values.size() <= maxCount) {
                return new Ticks(min, max, List.copyOf(values), List.copyOf(labels));
            }
        }
        // Too many decades even for one tick each: keep every n-th power of ten.
        int every = (values.size() + maxCount - 1) / maxCount;
        List<Double> keptValues = new ArrayList<>();
        List<String> keptLabels = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (Math.floorMod(exponents.get(i), every) == 0) {
                keptValues.add(values.get(i));
                keptLabels.add(labels.get(i));
            }
        }
        return new Ticks(min, max, keptValues, keptLabels);
    }

    /** Writes {@code m·10^e} in plain digits from 10^-4 to 10^5, else as {@code me-7}. */
    private static String powerLabel(int mantissa, int exponent) {
        if (exponent >= -4 && exponent <= 5) {
            return BigDecimal.valueOf(mantissa).scaleByPowerOfTen(exponent).stripTrailingZeros().toPlainString();
        }
        return mantissa + "e" + exponent;
    }
}
