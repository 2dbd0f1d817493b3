package org.minidiffusion.core.spi;

/**
 * The sizes of one 2-D convolution, validated by the core before any kernel sees them.
 *
 * <p>Layouts: input {@code (batch, inChannels, height, width)}, weight
 * {@code (outChannels, inChannels / groups, kernelH, kernelW)}, output
 * {@code (batch, outChannels, outHeight(), outWidth())}, all row-major and contiguous.
 *
 * @param batch       N
 * @param inChannels  C
 * @param height      H
 * @param width       W
 * @param outChannels O
 * @param kernelH     KH
 * @param kernelW     KW
 * @param strideH     vertical stride
 * @param strideW     horizontal stride
 * @param padH        zero padding added above and below
 * @param padW        zero padding added left and right
 * @param groups      channel groups; both C and O are divisible by it
 */
public record Conv2dGeometry(int batch, int inChannels, int height, int width,
                             int outChannels, int kernelH, int kernelW,
                             int strideH, int strideW, int padH, int padW, int groups) {

    /**
     * Returns the output height {@code (H + 2 padH - KH) / strideH + 1}.
     *
     * @return the output height
     */
    public int outHeight() {
        return (height + 2 * padH - kernelH) / strideH + 1;
    }

    /**
     * Returns the output width {@code (W + 2 padW - KW) / strideW + 1}.
     *
     * @return the output width
     */
    public int outWidth() {
        return (width + 2 * padW - kernelW) / strideW + 1;
    }

    /**
     * Returns the input channels per group, {@code C / groups}.
     *
     * @return the input channels each output channel sees
     */
    public int inPerGroup() {
        return inChannels / groups;
    }

    /**
     * Returns the output channels per group, {@code O / groups}.
     *
     * @return the output channels of each group
     */
    public int outPerGroup() {
        return outChannels / groups;
    }
}
