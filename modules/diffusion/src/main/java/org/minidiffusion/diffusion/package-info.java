/**
 * The diffusion process: beta schedules, the forward process {@code q(x_t | x_0)}, prediction
 * types, the timestep embedding, and the DDPM and DDIM samplers.
 *
 * <p>Names follow the papers: {@code alphaBar} is {@code ᾱ_t}, {@code sigma} is {@code σ_t}.
 * Timesteps are 0-based, as in diffusers: index {@code t = 0} is the paper's {@code t = 1}, and
 * {@code t = T - 1} is the noisiest step.
 *
 * <pre>{@code
 * NoiseSchedule schedule = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
 * Sampler sampler = new DdimSampler(schedule, PredictionType.EPSILON, true, 0.0);
 * Tensor images = sampler.sample(model, SampleRequest.of(50, 16, 1, 28, 28), new Rng(42));
 * }</pre>
 *
 * <p><b>Memory.</b> Sampling keeps no autograd tape and runs in a
 * {@link org.minidiffusion.core.api.Workspace}: after each step every buffer except the new sample
 * goes back to a pool, so the next step's activations reuse them instead of allocating new ones.
 * The samples a {@link ProgressListener} sees are valid until the next step ends.
 *
 * <p><b>Files.</b> Everything read from a file is checked where it is read:
 * {@link org.minidiffusion.diffusion.MetadataReader} reads metadata values against their ranges,
 * {@link org.minidiffusion.diffusion.TensorChecks} checks stored tensors' names, shapes and
 * values, and both report an {@link org.minidiffusion.diffusion.InvalidFieldException} naming the
 * file, the key, the value and what is allowed.
 *
 * <p>Papers cited in this package: Ho, Jain and Abbeel 2020, "Denoising Diffusion Probabilistic
 * Models" (DDPM); Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models" (DDIM); Nichol
 * and Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models"; Salimans and Ho 2022,
 * "Progressive Distillation for Fast Sampling of Diffusion Models" (v-prediction); Ho and Salimans
 * 2022, "Classifier-Free Diffusion Guidance"; Vaswani et al. 2017, "Attention Is All You Need".
 */
package org.minidiffusion.diffusion;
