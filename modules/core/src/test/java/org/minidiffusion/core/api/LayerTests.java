package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.BackendProvider;

/** Hierarchical parameter names, state dicts and train/eval mode; no kernel is needed. */
class LayerTests {
    private static final Backend NO_KERNELS = noKernels();

    private static Backend noKernels() {
        BackendProvider p = mock(BackendProvider.class);
        when(p.id()).thenReturn("none");
        when(p.description()).thenReturn("creation only");
        return Backend.of(p);
    }

    static final class Leaf extends AbstractLayer {
        final Parameter weight = parameter("weight", NO_KERNELS.ones(2, 3));
        final Parameter bias = parameter("bias", NO_KERNELS.zeros(2));

        @Override
        public Tensor forward(Tensor input) {
            return input;
        }
    }

    static final class Block extends AbstractLayer {
        final Leaf conv1 = child("conv1", new Leaf());
        final Leaf conv2 = child("conv2", new Leaf());

        @Override
        public Tensor forward(Tensor input) {
            return conv2.forward(conv1.forward(input));
        }
    }

    static final class Net extends AbstractLayer {
        final List<Block> down = List.of(child("down0", new Block()), child("down1", new Block()));
        final Parameter scale = parameter("scale", NO_KERNELS.full(0.5f));

        @Override
        public Tensor forward(Tensor input) {
            return input;
        }
    }

    /** A part driven by its owner with several inputs: parameters and children, no forward. */
    static final class Level extends AbstractParameterized {
        final Block block = child("block", new Block());
        final Parameter gate = parameter("gate", NO_KERNELS.ones(3));
    }

    static final class TwoInputNet extends AbstractParameterized {
        final Level level = child("level0", new Level());
        final Leaf out = child("out", new Leaf());
    }

    @Test
    void aPartWithoutForwardNamesParametersAndSetsModesLikeALayer() {
        TwoInputNet net = new TwoInputNet();
        assertEquals(List.of("level0.gate", "level0.block.conv1.weight", "level0.block.conv1.bias",
                "level0.block.conv2.weight", "level0.block.conv2.bias", "out.weight", "out.bias"),
                List.copyOf(net.parameters().keySet()));
        assertEquals(Map.of("level0", net.level, "out", net.out), net.children());
        net.train(false);
        assertFalse(net.level.block.conv1.isTraining(), "eval mode reaches a layer under a part");
        Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
        state.put("level0.gate", NO_KERNELS.full(2f, 3));
        net.loadStateDict(state);
        assertArrayEquals(new float[] {2, 2, 2}, net.level.gate.value().toArray());
        state.put("level0.gate", NO_KERNELS.full(2f, 4));
        assertThrows(ShapeException.class, () -> net.loadStateDict(state));
    }

    @Test
    void parameterNamesAreHierarchicalAndOrdered() {
        Net net = new Net();
        assertEquals(List.of("scale",
                "down0.conv1.weight", "down0.conv1.bias", "down0.conv2.weight", "down0.conv2.bias",
                "down1.conv1.weight", "down1.conv1.bias", "down1.conv2.weight", "down1.conv2.bias"),
                List.copyOf(net.parameters().keySet()));
        assertTrue(net.parameters().values().stream().allMatch(p -> p.value().requiresGrad()));
    }

    @Test
    void stateDictRoundTrips() {
        Net a = new Net();
        Map<String, Tensor> state = new LinkedHashMap<>(a.stateDict());
        state.put("down1.conv2.bias", NO_KERNELS.of(new float[] {3f, 4f}, 2));
        Net b = new Net();
        b.loadStateDict(state);
        assertArrayEquals(new float[] {3f, 4f}, b.down.get(1).conv2.bias.value().toArray());
        assertTrue(b.down.get(1).conv2.bias.value().requiresGrad());
    }

    @Test
    void loadingAMismatchNamesTheKeyAndChangesNothing() {
        Net net = new Net();
        Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
        state.put("scale", NO_KERNELS.full(9f));
        state.put("down0.conv1.weight", NO_KERNELS.ones(3, 2));
        ShapeException e = assertThrows(ShapeException.class, () -> net.loadStateDict(state));
        assertTrue(e.getMessage().contains("'down0.conv1.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("(2, 3), (3, 2)"), e.getMessage());
        assertEquals(0.5f, net.scale.value().item(), "nothing may change when a key mismatches");

        Map<String, Tensor> missing = new LinkedHashMap<>(net.stateDict());
        missing.remove("down1.conv1.bias");
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(missing));
        assertTrue(m.getMessage().contains("missing key 'down1.conv1.bias'"), m.getMessage());

        Map<String, Tensor> extra = new LinkedHashMap<>(net.stateDict());
        extra.put("up.0.weight", NO_KERNELS.ones(1));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(extra));
        assertTrue(x.getMessage().contains("unexpected key 'up.0.weight'"), x.getMessage());
    }

    @Test
    void trainAndEvalPropagateToChildren() {
        Net net = new Net();
        assertTrue(net.down.get(0).conv1.isTraining());
        net.train(false);
        assertFalse(net.down.get(0).conv1.isTraining());
        assertFalse(net.down.get(1).conv2.isTraining());
        net.train(true);
        assertTrue(net.down.get(1).conv2.isTraining());
    }

    @Test
    void badNamesAndShapesAreClearErrors() {
        AbstractLayer l = new AbstractLayer() {
            @Override
            public Tensor forward(Tensor input) {
                return input;
            }
        };
        assertThrows(IllegalArgumentException.class, () -> l.parameter("a.b", NO_KERNELS.ones(1)));
        l.parameter("w", NO_KERNELS.ones(1));
        assertThrows(IllegalArgumentException.class, () -> l.parameter("w", NO_KERNELS.ones(1)));
        Parameter p = new Parameter(NO_KERNELS.ones(2));
        ShapeException e = assertThrows(ShapeException.class, () -> p.set(NO_KERNELS.ones(3)));
        assertTrue(e.getMessage().contains("(2), (3)"), e.getMessage());
    }
}
