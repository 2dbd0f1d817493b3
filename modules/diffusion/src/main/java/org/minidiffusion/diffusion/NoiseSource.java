package org.minidiffusion.diffusion;

import java.util.Iterator;
import java.util.List;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * Where a sampler's per-step noise {@code z ~ N(0, I)} comes from. Usually a seeded {@link Rng};
 * a test, or a comparison with another library, can replay recorded noise instead.
 */
@FunctionalInterface
public interface NoiseSource {
    /**
     * Returns the next standard normal noise tensor.
     *
     * @param like a tensor whose shape and backend the noise must have
     * @return the noise
     */
    Tensor next(Tensor like);

    /**
     * Returns noise drawn from {@code rng}, in row-major order, on the backend of the sample.
     *
     * @param rng the generator; the same seed gives the same noise on every backend
     * @return the source
     */
    static NoiseSource of(Rng rng) {
        return like -> like.backend().randn(rng, like.shape().toArray());
    }

    /**
     * Returns a source that hands out the given tensors in order, copied to the sample's backend.
     *
     * @param noise the tensors, each of the sample's shape
     * @return the source; it throws {@link IllegalStateException} when asked for more than it holds
     */
    static NoiseSource replay(List<Tensor> noise) {
        Iterator<Tensor> it = List.copyOf(noise).iterator();
        return like -> {
            if (!it.hasNext()) {
                throw new IllegalStateException("NoiseSource.replay: all " + noise.size() + " noise tensors are used");
            }
            Tensor z = it.next();
            if (!z.shape().equals(like.shape())) {
                throw new IllegalArgumentException("NoiseSource.replay: noise of shape " + z.shape()
                        + " for a sample of shape " + like.shape());
            }
            return z.to(like.backend());
        };
    }
}
