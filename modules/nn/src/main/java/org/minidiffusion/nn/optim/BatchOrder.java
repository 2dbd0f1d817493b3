package org.minidiffusion.nn.optim;

import java.util.function.LongUnaryOperator;
import org.minidiffusion.core.api.Rng;

/**
 * The order in which a trainer visits its data: epochs, each a seeded permutation of the data
 * indices ({@link Rng#permutation}), read in batches that run on from one epoch into the next.
 *
 * <p>The batch after {@code done} steps depends on the seeds and {@code done} alone, not on the
 * batches drawn before, so a run resumed at step {@code done} draws what it would have drawn.
 * The current epoch's permutation is kept, so a step costs {@code O(batch)} except when an epoch
 * starts. Not thread-safe.
 */
public final class BatchOrder {
    private final int size;
    private final int batchSize;
    private final LongUnaryOperator epochSeed;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /**
     * Creates the order of a dataset.
     *
     * @param size      the number of data items, positive
     * @param batchSize the items per batch, positive
     * @param epochSeed the seed of each epoch's permutation, from the epoch's number (0, 1, ...)
     * @throws IllegalArgumentException if a size is not positive
     */
    public BatchOrder(int size, int batchSize, LongUnaryOperator epochSeed) {
        if (size <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("BatchOrder: the data size and the batch size must be positive, got "
                    + size + " and " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
        this.epochSeed = epochSeed;
    }

    /**
     * Returns the data indices of the batch after {@code done} steps.
     *
     * @param done the steps taken before this batch, zero or more
     * @return {@code batchSize} indices in {@code [0, size)}
     */
    public int[] batch(long done) {
        int[] idx = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            long position = done * batchSize + i;
            idx[i] = epoch(position / size)[(int) (position % size)];
        }
        return idx;
    }

    private int[] epoch(long epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = new Rng(epochSeed.applyAsLong(epoch)).permutation(size);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
