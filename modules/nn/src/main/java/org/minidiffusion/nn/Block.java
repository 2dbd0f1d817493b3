package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;

/**
 * A building block of a larger network (a residual block, an attention block, a transformer
 * block, a U-Net level) that maps a feature map to a new one, optionally under a conditioning
 * tensor (a time or class embedding) and with skip connections from earlier in the network (the
 * up path of a U-Net).
 *
 * <p>A call to {@code forward} is a block boundary for buffer reuse: inside a {@link Workspace}
 * (sampling, inference), every buffer the block allocates except its result's is free again when
 * it returns, so the next block reuses it; while autograd records (training), those buffers are
 * free again once a backward pass has run through the block; otherwise the block just runs. Blocks nest: a block made of blocks frees its own temporaries when it returns. A model
 * built from blocks therefore reuses buffers without a line of memory management. A subclass
 * implements {@link #compute} and keeps no tensor it creates there beyond the call (parameters
 * are created outside any workspace and are safe).
 */
public abstract class Block extends AbstractLayer {
    private static final Tensor[] NONE = new Tensor[0];

    /** Creates a block in training mode. */
    protected Block() {
    }

    /**
     * Runs the block, reusing its temporaries' buffers if a workspace is open on this thread.
     *
     * @param x         the input
     * @param condition the conditioning, such as a time embedding, or null if the block takes none
     * @param skips     the skip connections the block takes in besides {@code x}, if any
     * @return the output
     */
    public final Tensor forward(Tensor x, Tensor condition, Tensor... skips) {
        Tensor[] s = skips == null ? NONE : skips;
        return Workspace.scoped(() -> compute(x, condition, s));
    }

    /**
     * Runs the block without conditioning or skip connections.
     *
     * @param x the input
     * @return the output
     */
    @Override
    public final Tensor forward(Tensor x) {
        return forward(x, null, NONE);
    }

    /**
     * Computes the block's output; called by {@link #forward(Tensor, Tensor, Tensor...)}.
     *
     * @param x         the input
     * @param condition the conditioning, or null
     * @param skips     the skip connections, possibly none
     * @return the output
     * @throws IllegalArgumentException if the block did not get a conditioning or the skip
     *                                  connections it needs, or got ones it does not take
     */
    protected abstract Tensor compute(Tensor x, Tensor condition, Tensor... skips);
}
