package org.minidiffusion.diffusion;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * Checks on named tensors read from or written to a file: every value finite, every shape the
 * one expected. A loader calls them before it uses what it read, a saver before it writes.
 */
public final class TensorChecks {
    private TensorChecks() {
    }

    /**
     * Describes the NaN and infinite values among some tensors.
     *
     * @param tensors the tensors by name
     * @param prefix  put before each name in the description, such as {@code "ema."}
     * @return for example {@code "3 non-finite values in 1 tensor (first: ema.conv_in.weight[7] = NaN)"},
     *         or null if every value is finite
     */
    public static String describeNonFinite(Map<String, Tensor> tensors, String prefix) {
        long count = 0;
        int inTensors = 0;
        String first = null;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            float[] values = e.getValue().toArray();
            long here = 0;
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    if (first == null) {
                        first = prefix + e.getKey() + "[" + i + "] = " + values[i];
                    }
                    here++;
                }
            }
            count += here;
            inTensors += here > 0 ? 1 : 0;
        }
        return first == null ? null : String.format(Locale.ROOT, "%,d non-finite value%s in %d tensor%s (first: %s)",
                count, count == 1 ? "" : "s", inTensors, inTensors == 1 ? "" : "s", first);
    }

    /**
     * Checks that every value read is finite.
     *
     * @param tensors the tensors by name
     * @param source  where they were read, such as the file
     * @param prefix  the prefix of their names in the source, such as {@code "ema."}
     * @throws InvalidFieldException naming the first tensor with a NaN or infinite value
     */
    public static void requireFinite(Map<String, Tensor> tensors, String source, String prefix) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            float[] values = e.getValue().toArray();
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new InvalidFieldException(source, prefix + e.getKey(), "[" + i + "] = " + values[i],
                            "every stored value must be finite; " + describeNonFinite(tensors, prefix));
                }
            }
        }
    }

    /**
     * Checks that tensors read have exactly the expected names and shapes.
     *
     * @param tensors  the tensors read, by name
     * @param expected the shape of each name expected
     * @param source   where they were read, such as the file
     * @param prefix   the prefix of their names in the source, such as {@code "ema."}
     * @throws InvalidFieldException naming a missing, unexpected or misshapen tensor
     */
    public static void requireShapes(Map<String, Tensor> tensors, Map<String, Shape> expected, String source,
                                     String prefix) {
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new InvalidFieldException(source, prefix + e.getKey(), null, "the tensor is missing; expected shape "
                        + e.getValue());
            }
            if (!t.shape().equals(e.getValue())) {
                throw new InvalidFieldException(source, prefix + e.getKey(), "shape " + t.shape(),
                        "must have shape " + e.getValue());
            }
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                throw new InvalidFieldException(source, prefix + e.getKey(), "shape " + e.getValue().shape(),
                        "unexpected tensor: the model has no parameter '" + e.getKey() + "'");
            }
        }
    }

    /**
     * Checks the Adam state read from a checkpoint: a whole step count in {@code [0, completed]},
     * both moments of a parameter or neither, each of its parameter's shape, and second moments
     * {@code >= 0} (Kingma and Ba 2015, Algorithm 1).
     *
     * @param optim     the state's tensors, by name without the prefix: {@code steps}, {@code m.<name>}, {@code v.<name>}
     * @param shapes    the shape of each trained parameter
     * @param completed the training steps the checkpoint has completed
     * @param source    where they were read, such as the file
     * @param prefix    the prefix of their names in the source, such as {@code "optim."}
     * @throws InvalidFieldException naming the first tensor or value that is wrong
     */
    public static void requireAdamState(Map<String, Tensor> optim, Map<String, Shape> shapes, long completed,
                                        String source, String prefix) {
        Tensor steps = optim.get("steps");
        if (steps == null) {
            throw new InvalidFieldException(source, prefix + "steps", null, "the tensor is missing");
        }
        if (steps.shape().numel() != 1) {
            throw new InvalidFieldException(source, prefix + "steps", "shape " + steps.shape(), "must hold one value");
        }
        float n = steps.toArray()[0];
        if (!(n >= 0 && n <= (float) completed && n == Math.rint(n))) {
            throw new InvalidFieldException(source, prefix + "steps", Float.toString(n),
                    "must be a whole number in [0, completed_steps = " + completed + "]");
        }
        Map<String, Shape> moments = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            boolean hasM = optim.containsKey("m." + name);
            if (hasM != optim.containsKey("v." + name)) {
                throw new InvalidFieldException(source, prefix + (hasM ? "v." : "m.") + name, null,
                        "the tensor is missing; the two moments of a parameter come together");
            }
            if (hasM) {
                moments.put("m." + name, shapes.get(name));
                moments.put("v." + name, shapes.get(name));
            }
        }
        Map<String, Tensor> stored = new LinkedHashMap<>(optim);
        stored.remove("steps");
        requireShapes(stored, moments, source, prefix);
        for (Map.Entry<String, Tensor> e : stored.entrySet()) {
            if (e.getKey().startsWith("v.")) {
                float[] v = e.getValue().toArray();
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0f) {
                        throw new InvalidFieldException(source, prefix + e.getKey(), "[" + i + "] = " + v[i],
                                "a second moment must be >= 0");
                    }
                }
            }
        }
    }

    /**
     * Returns the shape of each parameter of a layer.
     *
     * @param layer the layer
     * @return the shapes by state-dict name, in the layer's order
     */
    public static Map<String, Shape> shapes(Parameterized layer) {
        Map<String, Shape> out = new LinkedHashMap<>();
        layer.parameters().forEach((k, p) -> out.put(k, p.shape()));
        return out;
    }

    /**
     * Returns the number of values in some tensors.
     *
     * @param tensors the tensors
     * @return the sum of their element counts
     */
    public static long numel(Map<String, Tensor> tensors) {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.shape().numel();
        }
        return n;
    }
}
