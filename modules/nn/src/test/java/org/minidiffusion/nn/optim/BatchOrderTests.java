package org.minidiffusion.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Rng;

/** {@link BatchOrder}: batches read on through seeded epoch permutations, from the step count alone. */
class BatchOrderTests {
    @Test
    void batchesRunThroughEachEpochsPermutationAndOnIntoTheNext() {
        BatchOrder order = new BatchOrder(5, 3, epoch -> 100 + epoch);
        int[] e0 = new Rng(100).permutation(5);
        int[] e1 = new Rng(101).permutation(5);
        assertArrayEquals(new int[] {e0[0], e0[1], e0[2]}, order.batch(0));
        assertArrayEquals(new int[] {e0[3], e0[4], e1[0]}, order.batch(1));   // crosses into epoch 1
        assertArrayEquals(new int[] {e1[1], e1[2], e1[3]}, order.batch(2));
    }

    @Test
    void aBatchDependsOnTheStepAloneNotOnTheBatchesBefore() {
        BatchOrder walked = new BatchOrder(7, 4, epoch -> epoch * 31);
        int[][] seen = new int[10][];
        for (int s = 0; s < 10; s++) {
            seen[s] = walked.batch(s);
        }
        BatchOrder resumed = new BatchOrder(7, 4, epoch -> epoch * 31);
        for (int s = 9; s >= 0; s--) {
            assertArrayEquals(seen[s], resumed.batch(s), "step " + s);
        }
    }

    @Test
    void everyItemOnceAnEpoch() {
        BatchOrder order = new BatchOrder(6, 2, epoch -> epoch);
        int[] epoch = new int[6];
        for (int s = 0; s < 3; s++) {
            System.arraycopy(order.batch(s), 0, epoch, 2 * s, 2);
        }
        Arrays.sort(epoch);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, epoch);
    }

    @Test
    void sizesMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchOrder(0, 2, x -> x));
        assertEquals("BatchOrder: the data size and the batch size must be positive, got 0 and 2", e.getMessage());
    }
}
