package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * The per-layer hidden states of {@link ClipTextModel.Output}, with Hugging Face's
 * {@code output_hidden_states} meaning: the embeddings' output, then each block's, the last before
 * the final LayerNorm.
 */
class ClipHiddenStatesTests {
    private static final ClipTextConfig TWO_LAYERS = new ClipTextConfig(30, 8, 16, 2, 2, 10, "quick_gelu", 1e-5f, 6, 29);
    private static final int[][] IDS = {{28, 3, 7, 29, 29}, {28, 11, 29, 29, 29}};

    @Test
    void thereIsOneStatePerLayerPlusTheEmbeddingsAndTheLastIsBeforeTheFinalNorm() {
        ClipTextModel model = new ClipTextModel(TWO_LAYERS, true, new Rng(1)).initialiseForTraining(new Rng(2));
        ClipTextModel.Output out = model.encode(IDS, null);
        assertEquals(3, out.hiddenStates().size());
        assertSame(out.hiddenStates().get(1), out.penultimateHiddenState());
        Map<String, Tensor> p = model.stateDict();
        Tensor normed = out.hiddenStates().get(2).layerNorm(p.get("text_model.final_layer_norm.weight"),
                p.get("text_model.final_layer_norm.bias"), TWO_LAYERS.layerNormEps());
        assertArrayEquals(out.lastHiddenState().toArray(), normed.toArray(), 1e-6f, "last_hidden_state = LN(hidden_states[-1])");
    }

    @Test
    void theFirstStateIsTokenPlusPositionEmbedding() {
        ClipTextModel model = new ClipTextModel(TWO_LAYERS, true, new Rng(3));
        float[] first = model.encode(IDS, null).hiddenStates().get(0).toArray();
        float[] tokens = model.stateDict().get("text_model.embeddings.token_embedding.weight").toArray();
        float[] positions = model.stateDict().get("text_model.embeddings.position_embedding.weight").toArray();
        int d = TWO_LAYERS.hiddenSize();
        for (int b = 0; b < IDS.length; b++) {
            for (int j = 0; j < IDS[b].length; j++) {
                for (int k = 0; k < d; k++) {
                    float expected = tokens[IDS[b][j] * d + k] + positions[j * d + k];
                    assertEquals(expected, first[(b * IDS[b].length + j) * d + k], 1e-6f, "[" + b + "][" + j + "][" + k + "]");
                }
            }
        }
    }

    /**
     * Block 1's output of a two-block model is the last state of the same model cut after block 1,
     * whose last hidden state is then its final LayerNorm: so {@code hiddenStates.get(i)} is the
     * output of block {@code i} (1-based), as in Hugging Face.
     */
    @Test
    void eachStateIsTheOutputOfItsBlock() {
        ClipTextModel two = new ClipTextModel(TWO_LAYERS, true, new Rng(4)).initialiseForTraining(new Rng(5));
        ClipTextConfig oneLayer = new ClipTextConfig(30, 8, 16, 1, 2, 10, "quick_gelu", 1e-5f, 6, 29);
        ClipTextModel one = new ClipTextModel(oneLayer, true, new Rng(0));
        Map<String, Tensor> cut = new LinkedHashMap<>();
        two.stateDict().forEach((k, v) -> {
            if (!k.contains("encoder.layers.1.")) {
                cut.put(k, v);
            }
        });
        one.loadCheckpoint(cut);
        ClipTextModel.Output full = two.encode(IDS, null);
        ClipTextModel.Output shallow = one.encode(IDS, null);
        assertEquals(2, shallow.hiddenStates().size());
        assertArrayEquals(shallow.hiddenStates().get(1).toArray(), full.penultimateHiddenState().toArray(), 1e-6f);
        assertArrayEquals(shallow.hiddenStates().get(0).toArray(), full.hiddenStates().get(0).toArray(), 1e-6f);
    }
}
