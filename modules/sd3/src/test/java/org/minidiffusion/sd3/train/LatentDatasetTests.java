package org.minidiffusion.sd3.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/** The encoded training data: padding, latent draws and their scaling, captions and prompt dropout. */
class LatentDatasetTests {
    /** Latents 2x2x2 of three images, with known means and standard deviations. */
    static LatentDataset threeImages(float shift, float scale) {
        float[] means = new float[3 * 8];
        float[] stds = new float[3 * 8];
        for (int i = 0; i < means.length; i++) {
            means[i] = 0.5f * i - 3f;
            stds[i] = 0.1f * (i % 5);
        }
        return new LatentDataset(2, 2, means, stds, new int[] {1, 7, 9}, new Tone[] {Tone.DARK, Tone.NONE, Tone.LIGHT},
                shift, scale);
    }

    @Test
    void drawsScaledPosteriorSamples() {
        float shift = 0.75f;
        float scale = 1.6f;
        LatentDataset data = threeImages(shift, scale);
        int[] idx = {2, 0, 2};
        LatentDataset.Batch batch = data.draw(idx, new Rng(1), new Rng(2), new PromptDropout(0));
        assertArrayEquals(new int[] {3, 2, 2, 2}, batch.latents().shape().toArray());
        float[] z = batch.latents().toArray();
        Rng eps = new Rng(2);                     // the same draws: image by image, value by value
        for (int b = 0; b < idx.length; b++) {
            for (int k = 0; k < 8; k++) {
                int i = idx[b] * 8 + k;
                float mean = 0.5f * i - 3f;
                float std = 0.1f * (i % 5);
                float expected = (mean + std * (float) eps.nextGaussian() - shift) * scale;
                assertEquals(expected, z[b * 8 + k], 1e-6f, "value " + k + " of draw " + b);
            }
        }
        // With the standard deviations at zero the draw is the scaled mean, exactly.
        LatentDataset exact = new LatentDataset(2, 2, data.means(), new float[24], new int[] {1, 7, 9},
                new Tone[] {Tone.DARK, Tone.NONE, Tone.LIGHT}, shift, scale);
        float[] mode = exact.draw(new int[] {1}, new Rng(1), new Rng(2), new PromptDropout(0)).latents().toArray();
        for (int k = 0; k < 8; k++) {
            assertEquals((0.5f * (8 + k) - 3f - shift) * scale, mode[k], 0f);
        }
        assertArrayEquals(new int[] {9, 1, 9}, batch.labels());
        assertEquals(List.of(Tone.LIGHT, Tone.DARK, Tone.LIGHT), List.of(batch.tones()));
    }

    @Test
    void theSameGeneratorsGiveTheSameBatch() {
        LatentDataset data = threeImages(0f, 1f);
        LatentDataset.Batch a = data.draw(new int[] {0, 1, 2}, new Rng(5), new Rng(6), new PromptDropout(0.3));
        LatentDataset.Batch b = data.draw(new int[] {0, 1, 2}, new Rng(5), new Rng(6), new PromptDropout(0.3));
        assertEquals(a.captions(), b.captions());
        assertArrayEquals(a.latents().toArray(), b.latents().toArray(), 0f);
        LatentDataset.Batch c = data.draw(new int[] {0, 1, 2}, new Rng(5), new Rng(7), new PromptDropout(0.3));
        assertEquals(a.captions(), c.captions(), "the captions come from their own generator");
        assertNotEquals(Arrays.toString(a.latents().toArray()), Arrays.toString(c.latents().toArray()));
    }

    @Test
    void captionsAreTrainingWordingsOfTheImagesClassAndToneAndDropoutIsItsRate() {
        LatentDataset data = threeImages(0f, 1f);
        Rng captions = new Rng(11);
        Rng noise = new Rng(12);
        int draws = 0;
        int empty = 0;
        Set<String> seen = new HashSet<>();
        Set<String> heldOut = new HashSet<>();
        for (int label = 0; label < 10; label++) {
            for (Tone t : Tone.values()) {
                heldOut.addAll(Captioner.captions(label, t, Split.HELD_OUT));
            }
        }
        for (int round = 0; round < 4000; round++) {
            LatentDataset.Batch batch = data.draw(new int[] {0, 1, 2}, captions, noise, new PromptDropout(0.1));
            for (int b = 0; b < 3; b++) {
                String c = batch.captions().get(b);
                draws++;
                if (c.isEmpty()) {
                    empty++;
                    continue;
                }
                assertTrue(Captioner.captions(batch.labels()[b], batch.tones()[b], Split.TRAINING).contains(c), c);
                assertFalse(heldOut.contains(c), "a held-out wording in training: " + c);
                seen.add(c);
            }
        }
        // 12,000 draws at p = 0.1: the standard deviation of the rate is 0.0027; allow four of them.
        double rate = empty / (double) draws;
        assertEquals(0.1, rate, 0.011, "prompt dropout rate");
        // Every training wording of the three images is drawn.
        int all = Captioner.captions(1, Tone.DARK, Split.TRAINING).size()
                + Captioner.captions(7, Tone.NONE, Split.TRAINING).size()
                + Captioner.captions(9, Tone.LIGHT, Split.TRAINING).size();
        assertEquals(all, seen.size());
        // No dropout at 0.
        LatentDataset.Batch kept = data.draw(new int[] {0, 1, 2}, new Rng(3), new Rng(4), new PromptDropout(0));
        assertTrue(kept.captions().stream().noneMatch(String::isEmpty), kept.captions().toString());
    }

    /** A micro autoencoder with a measured-looking latent scaling, and four images of distinct content. */
    @Test
    void encodesPaddedImagesOnceAndMeasuresTones() {
        AutoencoderKLConfig config = AutoencoderKLConfig.of(1, new int[] {8, 8, 16}, 1, 4, 4, 32)
                .withLatentScaling(1.7f, 0.3f);
        AutoencoderKL vae = new AutoencoderKL(config, new Rng(3));
        int n = 5;
        float[][] pixels = new float[n][28 * 28];
        int[] labels = {0, 3, 5, 8, 9};
        Rng rng = new Rng(9);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < pixels[i].length; p++) {
                pixels[i][p] = (p / 28 > 4 && p / 28 < 24 && p % 28 > 6 && p % 28 < 22) ? 0.2f + 0.8f * i / n
                        + 0.01f * rng.nextFloat() : 0f;
            }
        }
        LatentDataset.Images images = new LatentDataset.Images() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int label(int index) {
                return labels[index];
            }

            @Override
            public float[] unitPixels(int index) {
                return pixels[index].clone();
            }

            @Override
            public Tensor images(int[] indices) {
                float[] v = new float[indices.length * 784];
                for (int b = 0; b < indices.length; b++) {
                    for (int p = 0; p < 784; p++) {
                        v[b * 784 + p] = pixels[indices[b]][p] * 2f - 1f;
                    }
                }
                return Tensor.of(v, indices.length, 1, 28, 28);
            }
        };
        int[] progress = new int[n + 1];
        LatentDataset data = LatentDataset.encode(vae, images, 2, done -> progress[done]++);
        assertArrayEquals(new int[] {0, 0, 1, 0, 1, 1}, progress, "chunks of 2: after 2, 4 and 5 images");
        assertEquals(n, data.size());
        assertEquals(4, data.channels());
        assertEquals(8, data.side());
        assertEquals(0.3f, data.shiftFactor());
        assertEquals(1.7f, data.scalingFactor());
        // Reference: the image padded by hand with -1 (2 pixels on each side), encoded in one batch.
        float[] padded = new float[n * 32 * 32];
        Arrays.fill(padded, -1f);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < 784; p++) {
                padded[i * 1024 + (p / 28 + 2) * 32 + p % 28 + 2] = pixels[i][p] * 2f - 1f;
            }
        }
        float[] mean;
        float[] std;
        try (Autograd.Scope s = Autograd.noGrad()) {
            var q = vae.encode(Tensor.of(padded, n, 1, 32, 32));
            mean = q.mean().toArray();
            std = q.std().toArray();
        }
        assertArrayEquals(mean, data.means(), 1e-5f);
        assertArrayEquals(std, data.stds(), 1e-5f);
        for (int i = 0; i < n; i++) {
            assertEquals(labels[i], data.label(i));
            assertEquals(Tone.measure(labels[i], pixels[i]), data.tone(i));
        }
        assertEquals(Tone.DARK, data.tone(0), "the darkest garment");
        assertEquals(Tone.LIGHT, data.tone(4), "the lightest garment");
        assertEquals(data.fingerprint(), LatentDataset.encode(vae, images, 3, null).fingerprint());
        assertNotEquals(data.fingerprint(), threeImages(0f, 1f).fingerprint());
    }

    @Test
    void padsToTheNextMultipleWithTheBackground() {
        Tensor x = Tensor.full(0.5f, 1, 1, 28, 28);
        float[] p = LatentDataset.pad(x, 8).toArray();
        assertEquals(32 * 32, p.length);
        assertEquals(-1f, p[0]);
        assertEquals(-1f, p[32 + 1]);
        assertEquals(0.5f, p[2 * 32 + 2]);
        assertEquals(0.5f, p[29 * 32 + 29]);
        assertEquals(-1f, p[30 * 32 + 30]);
        assertEquals(x, LatentDataset.pad(x, 4), "28 is a multiple of 4: nothing to pad");
    }

    @Test
    void badDataAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LatentDataset(2, 2,
                new float[8], new float[8], new int[] {0, 1}, new Tone[] {Tone.NONE, Tone.NONE}, 0f, 1f));
        assertEquals("LatentDataset: 2 labels, 2 tones, 8 means and 8 standard deviations for latents 2x2x2",
                e.getMessage());
        float[] stds = new float[8];
        stds[5] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> new LatentDataset(2, 2, new float[8], stds,
                new int[] {0}, new Tone[] {Tone.NONE}, 0f, 1f));
        assertEquals("LatentDataset: value 5 (image 0) has mean 0.0 and standard deviation NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LatentDataset(2, 2, new float[8], new float[8],
                new int[] {10}, new Tone[] {Tone.NONE}, 0f, 1f));
        assertEquals("LatentDataset: image 0 has label 10 and tone NONE", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LatentDataset(2, 2, new float[8], new float[8],
                new int[] {1}, new Tone[] {Tone.NONE}, 0f, 0f));
        assertTrue(e.getMessage().contains("scaling_factor 0.0"), e.getMessage());
    }
}
