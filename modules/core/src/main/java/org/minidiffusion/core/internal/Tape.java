package org.minidiffusion.core.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.ShapeException;

/**
 * The autograd tape: ops record a {@link Node} on their output, and {@link #backward} replays the
 * nodes in reverse creation order, accumulating each leaf's gradient.
 *
 * <p>Nodes are numbered in creation order. An output is always created after its inputs, so
 * visiting nodes by decreasing number is a valid reverse topological order: the tape, replayed
 * backwards.
 */
final class Tape {
    private static final AtomicLong COUNTER = new AtomicLong();

    private Tape() {
    }

    /** Computes the gradients of an op's inputs from the gradient of its output. */
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

    /** One recorded operation on the tape: its inputs and how to send a gradient back to them. */
    static final class Node {
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

    /**
     * Advances the tape's clock and returns it: nodes are numbered by it, and in-place updates
     * stamp the storage they write with it, so a node older than the stamp of an input's storage
     * recorded values that have been overwritten since.
     *
     * @return the new time
     */
    static long tick() {
        return COUNTER.incrementAndGet();
    }

    /** Returns the gradients of a backward, one per input; a shorthand for the ops. */
    static DenseTensor[] grads(DenseTensor... g) {
        return g;
    }

    /** Returns the node of an op's output, or null if grad mode is off or no input requires grad. */
    static Node record(String op, Backward backward, DenseTensor... inputs) {
        boolean record = false;
        if (Autograd.isEnabled()) {
            for (DenseTensor in : inputs) {
                record |= in.requiresGrad;
            }
        }
        return record ? new Node(op, inputs, backward) : null;
    }

    /** Back-propagates {@code seed}, the gradient of {@code root}, into the leaves it depends on. */
    static void backward(DenseTensor root, DenseTensor seed) {
        if (!seed.shape.equals(root.shape)) {
            throw new ShapeException("backward", "the gradient's shape must equal the tensor's", root.shape, seed.shape);
        }
        if (!root.requiresGrad) {
            throw new IllegalStateException("backward(): this tensor does not require grad: no input of it "
                    + "called requireGrad(), or it was computed inside Autograd.noGrad()");
        }
        try (Autograd.Scope scope = Autograd.noGrad()) {
            BufferPool.pause(); // gradients outlive any workspace
            try {
                replay(root, seed.detach());
            } finally {
                BufferPool.resume();
            }
        }
    }

    /** Replays the recorded nodes reachable from {@code root} in reverse creation order. */
    private static void replay(DenseTensor root, DenseTensor seed) {
        List<DenseTensor> order = new ArrayList<>();
        Map<DenseTensor, Boolean> seen = new IdentityHashMap<>();
        List<DenseTensor> stack = new ArrayList<>(List.of(root));
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            DenseTensor t = stack.remove(stack.size() - 1);
            if (t.node == null) {
                continue;
            }
            order.add(t);
            for (DenseTensor in : t.node.inputs) {
                if (in.requiresGrad && seen.put(in, Boolean.TRUE) == null) {
                    stack.add(in);
                }
            }
        }
        order.sort((x, y) -> Long.compare(y.node.seq, x.node.seq));
        Map<DenseTensor, DenseTensor> pending = new IdentityHashMap<>();
        if (root.node == null) {
            accumulate(root, seed);
            return;
        }
        pending.put(root, seed);
        for (DenseTensor t : order) {
            DenseTensor g = pending.remove(t);
            if (g == null) {
                continue;
            }
            checkNotOverwritten(t.node);
            DenseTensor[] inGrads = t.node.backward.apply(g);
            for (int i = 0; i < t.node.inputs.length; i++) {
                DenseTensor in = t.node.inputs[i];
                DenseTensor gi = inGrads[i];
                if (!in.requiresGrad || gi == null) {
                    continue;
                }
                if (!gi.shape.equals(in.shape)) {
                    throw new IllegalStateException("internal error: backward of '" + t.node.op + "' gave a gradient of "
                            + gi.shape + " for an input of " + in.shape);
                }
                if (in.node == null) {
                    accumulate(in, gi);
                } else {
                    pending.merge(in, gi, (a, b) -> a.add(b));
                }
            }
        }
    }

    /**
     * Fails if an input of {@code node} was updated in place after the node recorded it (an
     * optimiser step between the forward pass and backward), since its backward would then read
     * the new values instead of those the forward pass used.
     */
    private static void checkNotOverwritten(Node node) {
        for (DenseTensor in : node.inputs) {
            if (in.writtenAt() > node.seq) {
                throw new IllegalStateException("backward: the " + in.shape + " input of '" + node.op + "' was updated "
                        + "in place (an optimiser step) after the forward pass used it, so its gradient would be "
                        + "computed from the new values; call backward() before step(), then run the forward pass again");
            }
        }
    }

    /** Adds {@code g} to the gradient of the leaf {@code leaf}. */
    private static void accumulate(DenseTensor leaf, DenseTensor g) {
        leaf.grad = leaf.grad == null ? g.contiguous().detach() : (leaf.grad.add(g)).detach();
    }
}
