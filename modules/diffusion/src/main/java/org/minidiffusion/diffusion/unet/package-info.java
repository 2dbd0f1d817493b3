/**
 * The DDPM U-Net (Ho et al. 2020, appendix B; Ronneberger et al. 2015): residual blocks with
 * timestep (and optional class) conditioning, self-attention at chosen resolutions, and skip
 * connections between the down and up paths.
 */
package org.minidiffusion.diffusion.unet;
