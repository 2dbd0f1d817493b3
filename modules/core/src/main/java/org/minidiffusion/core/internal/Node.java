package org.minidiffusion.core.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One recorded operation on the autograd tape: its inputs and how to send a gradient back to them.
 *
 * <p>Nodes are numbered in creation order. An output is always created after its inputs, so
 * visiting nodes by decreasing number is a valid reverse topological order: the tape, replayed
 * backwards.
 */
final class Node {
    private static final AtomicLong COUNTER = new AtomicLong();

    /** Computes the gradients of the inputs from the gradient of the output. */
    @FunctionalInterface
    interface Backward {
        /**
         * Returns one gradient per input, each of its input's shape, or null for an input that
         * needs none.
         *
         * @param gradOut the gradient of the output, of the output's shape
         * @return the input gradients
         */
        DenseTensor[] apply(DenseTensor gradOut);
    }

    final long seq = COUNTER.incrementAndGet();
    final String op;
    final DenseTensor[] inputs;
    final Backward backward;

    Node(String op, DenseTensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }
}
