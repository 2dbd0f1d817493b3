/**
 * Flow matching: the straight-line forward process, the velocity loss, timestep sampling for
 * training, diffusers' shifted sigma schedule, and Euler and Heun ODE solvers.
 *
 * <p>Time runs from data to noise, as in diffusers and SD3: {@code σ = 0} is the data {@code x_0},
 * {@code σ = 1} pure noise {@code ε}. The forward process is {@code x_σ = (1 − σ)·x_0 + σ·ε}
 * (rectified flow, Liu et al. 2023 eq. 1; Esser et al. 2024 eq. 2 with {@code a_t = 1 − t},
 * {@code b_t = t}), whose velocity {@code dx_σ/dσ = ε − x_0} a {@link VelocityModel} learns
 * (Lipman et al. 2023 eq. 23, conditional flow matching). Sampling integrates that ODE from
 * {@code σ = 1} down to 0. {@code t} and {@code σ} name the same number; the model receives the
 * timestep {@code σ·T}, as diffusers passes it to SD3's transformer.
 *
 * <pre>{@code
 * FlowSampler sampler = new FlowSampler(new FlowSchedule(1000, 3.0), FlowSolver.HEUN);
 * Tensor images = sampler.sample(model, SampleRequest.of(28, 16, 4, 32, 32), new Rng(42));
 * }</pre>
 *
 * <p>Papers cited in this package: Lipman, Chen, Ben-Hamu, Nickel and Le 2023, "Flow Matching for
 * Generative Modeling"; Liu, Gong and Liu 2023, "Flow Straight and Fast: Learning to Generate and
 * Transfer Data with Rectified Flow"; Esser et al. 2024, "Scaling Rectified Flow Transformers for
 * High-Resolution Image Synthesis" (SD3); Karras, Aittala, Aila and Laine 2022, "Elucidating the
 * Design Space of Diffusion-Based Generative Models" (the Heun step); Ho and Salimans 2022,
 * "Classifier-Free Diffusion Guidance".
 */
package org.minidiffusion.diffusion.flow;
