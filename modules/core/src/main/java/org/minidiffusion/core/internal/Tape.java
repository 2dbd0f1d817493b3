package org.minidiffusion.core.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The autograd tape: ops record a {@link Node} on their output, and {@link #backward} replays the
 * nodes in reverse creation order, accumulating each leaf's gradient.
 *
 * <p>Nodes are numbered in creation order. An output is always created after its inputs, so
 * visiting nodes by decreasing number is a valid reverse topological order: the tape, replayed
 * backwards.
 *
 * <p><b>Buffers.</b> A backward pass gives back, for later allocations on its thread to reuse
 * ({@link BufferPool#giveSpare}), every buffer that it can prove nothing reads any more:
 * <ul>
 *   <li>the gradient of a node once the node's backward has consumed it, and every temporary of
 *   that backward, unless a pending gradient or a leaf's gradient uses the same array (counted per
 *   array, since gradients are often views of one another);</li>
 *   <li>after the pass, the tensors a block made but did not return ({@link #scoped}), when the
 *   pass ran through the block's result.</li>
 * </ul>
 * A gradient reaching a node that already has one is added in place into the first one when
 * nothing else uses that buffer, and into a leaf's gradient when this pass made it; the sum is
 * the same {@code a + b}, element by element, as the new tensor it replaces. Tensors the caller
 * can reach are never given back: op results outside blocks, the seed gradient, and every leaf's
 * gradient, which gradients of earlier passes are, too.
 *
 * <p>The spare arrays are held weakly by their thread, so that a garbage collection after training
 * frees them. To keep them from the collector between a pass and the next training step that
 * takes them, the pass's root node holds them, and then the first node recorded on the thread
 * after the pass: each graph keeps the previous pass's spares until its own pass has run.
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
        /** When this node's output is a block's result: the block's other arrays, with their storage; else null. */
        private Map<float[], Storage> blockArrays;
        /** When this node's output is a block's result: the nodes recorded in the block; else null. */
        private List<Node> blockNodes;
        /** Whether a backward pass gave back buffers that this node's backward reads. */
        private boolean released;
        /** When a backward pass started here: the arrays it gave back, kept from the collector while this graph lives. */
        private List<float[]> givenBack;
        /** When this is the first node recorded on its thread after a backward pass: that pass's {@link #givenBack}. */
        private List<float[]> handedOver;

        Node(String op, DenseTensor[] inputs, Backward backward) {
            this.op = op;
            this.inputs = inputs;
            this.backward = backward;
        }

        /** Makes this node's output the result of a block that made {@code arrays} and recorded {@code nodes}. */
        private void adoptBlock(Map<float[], Storage> arrays, List<Node> nodes) {
            if (blockArrays == null) {
                blockArrays = arrays;
                blockNodes = nodes;
            } else { // the same tensor returned by several blocks
                blockArrays.putAll(arrays);
                blockNodes.addAll(nodes);
            }
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
        if (!record) {
            return null;
        }
        Node node = new Node(op, inputs, backward);
        Tracker block = BufferPool.tracker();
        if (block != null && block.block) {
            block.nodes.add(node);
        }
        node.handedOver = BufferPool.takeHandover(); // null but for the first node after a backward pass
        return node;
    }

    /**
     * Runs a block while autograd records, and hands the tensors it makes, except its result, to
     * the tape: once a backward pass has run through the result, their buffers are reused, and
     * reading one of them throws. The block must not keep them, the rule of
     * {@code Workspace.scoped}. If nothing recorded the result, the block's tensors join those of
     * the enclosing block, or are left to the garbage collector outside any.
     *
     * @param block computes a tensor, typically a layer's forward pass
     * @return the block's result
     */
    static Tensor scoped(Supplier<Tensor> block) {
        Tracker scope = BufferPool.track(true);
        Tensor result;
        try {
            result = block.get();
        } finally {
            BufferPool.untrack(scope);
        }
        if (!(result instanceof DenseTensor)) {
            return result;
        }
        DenseTensor r = (DenseTensor) result;
        float[] kept = r.storage().array();
        boolean made = scope.tracks(kept);
        Storage keptStorage = made ? scope.remove(kept) : null;
        Tracker outer = scope.outer != null && scope.outer.block ? scope.outer : null;
        if (r.node != null) {
            r.node.adoptBlock(scope.all(), scope.nodes);
        } else if (outer != null) {
            scope.all().forEach(outer::adopt);
        }
        if (outer != null) {
            if (made) {
                outer.adopt(kept, keptStorage);
            }
            outer.nodes.addAll(scope.nodes);
        }
        return result;
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
            Tracker arena = BufferPool.track(false);
            try {
                new Pass(arena).run(root, seed.detach());
            } finally {
                BufferPool.untrack(arena);
                BufferPool.resume();
                BufferPool.endPass();
            }
        }
    }

    /** Returns the recorded tensors reachable from {@code root}, in reverse creation order. */
    private static List<DenseTensor> order(DenseTensor root) {
        List<DenseTensor> order = new ArrayList<>();
        Map<DenseTensor, Boolean> seen = new IdentityHashMap<>();
        List<DenseTensor> stack = new ArrayList<>(List.of(root));
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            DenseTensor t = stack.remove(stack.size() - 1);
            if (t.node == null) {
                continue;
            }
            if (t.node.released) {
                throw new IllegalStateException("backward(): this graph was already back-propagated through '"
                        + t.node.op + "' inside a block (Workspace.scoped, such as an nn Block), and that pass "
                        + "reused the buffers the block's backward reads; run the forward pass again for another "
                        + "backward()");
            }
            order.add(t);
            for (DenseTensor in : t.node.inputs) {
                if (in.requiresGrad && seen.put(in, Boolean.TRUE) == null) {
                    stack.add(in);
                }
            }
        }
        order.sort((x, y) -> Long.compare(y.node.seq, x.node.seq));
        return order;
    }

    /**
     * One backward pass: replays the nodes and gives back each buffer of the pass as soon as no
     * pending gradient, gradient in flight or leaf gradient uses it.
     */
    private static final class Pass {
        /** The arrays allocated during this pass and not given back yet. */
        private final Tracker arena;
        /** The gradient waiting for each recorded tensor, summed over the nodes that sent one. */
        private final Map<DenseTensor, DenseTensor> pending = new IdentityHashMap<>();
        /** For each array of this pass: how many pending gradients, and gradients being sent, use it. */
        private final Map<float[], int[]> holders = new IdentityHashMap<>();
        /** For each array of this pass: how many leaves have it as their gradient (never given back). */
        private final Map<float[], int[]> leafGrads = new IdentityHashMap<>();
        /** Every array this pass gave back, for the root's node to hold (see {@link BufferPool#giveSpare}). */
        private final List<float[]> givenBack = new ArrayList<>();

        Pass(Tracker arena) {
            this.arena = arena;
        }

        /** Replays the recorded nodes reachable from {@code root} in reverse creation order. */
        void run(DenseTensor root, DenseTensor seed) {
            List<DenseTensor> order = order(root);
            if (root.node == null) {
                accumulate(root, seed);
                return;
            }
            pending.put(root, seed);
            hold(seed);
            for (DenseTensor t : order) {
                DenseTensor g = pending.remove(t);
                if (g == null) {
                    continue;
                }
                checkNotOverwritten(t.node);
                DenseTensor[] inGrads = t.node.backward.apply(g);
                DenseTensor[] inputs = t.node.inputs;
                boolean[] sent = new boolean[inputs.length];
                for (int i = 0; i < inputs.length; i++) {
                    DenseTensor gi = inGrads[i];
                    sent[i] = inputs[i].requiresGrad && gi != null;
                    if (sent[i]) {
                        if (!gi.shape.equals(inputs[i].shape)) {
                            throw new IllegalStateException("internal error: backward of '" + t.node.op
                                    + "' gave a gradient of " + gi.shape + " for an input of " + inputs[i].shape);
                        }
                        hold(gi); // in flight: nothing may write it until it reaches its input
                    }
                }
                for (int i = 0; i < inputs.length; i++) {
                    if (sent[i]) {
                        if (inputs[i].node == null) {
                            accumulate(inputs[i], inGrads[i]);
                        } else {
                            merge(inputs[i], inGrads[i]);
                        }
                    }
                }
                drop(g);
                sweep();
            }
            for (DenseTensor t : order) {
                releaseBlock(t.node);
            }
            root.node.givenBack = givenBack;
            BufferPool.handOver(givenBack);
        }

        /** Gives an array that nothing uses any more to this thread's spares. */
        private void giveBack(float[] array) {
            BufferPool.giveSpare(array);
            givenBack.add(array);
        }

        /** Adds {@code g}, in flight, to the gradient pending for the recorded tensor {@code t}. */
        private void merge(DenseTensor t, DenseTensor g) {
            DenseTensor a = pending.get(t);
            if (a == null) {
                pending.put(t, g); // its hold in flight becomes the pending one
            } else if (owned(a, 1, 0)) {
                ElementwiseOps.addInPlace(a, g);
                drop(g);
            } else {
                DenseTensor sum = a.add(g);
                pending.put(t, sum);
                hold(sum);
                drop(a);
                drop(g);
            }
        }

        /** Adds {@code g}, in flight, to the gradient of the leaf {@code leaf}. */
        private void accumulate(DenseTensor leaf, DenseTensor g) {
            DenseTensor old = leaf.grad;
            if (old == null) {
                leaf.grad = g.contiguous().detach();
            } else if (owned(old, 0, 1)) { // made by this pass, so no caller has seen it
                ElementwiseOps.addInPlace(old, g);
            } else {
                leaf.grad = old.add(g).detach();
            }
            if (leaf.grad != old) {
                count(leafGrads, leaf.grad, 1);
                if (old != null && count(leafGrads, old, -1) == 0) {
                    giveBackIfDead(old.storage().array());
                }
            }
            drop(g);
        }

        /**
         * Returns whether {@code t} covers a whole array of this pass, row-major from index 0,
         * that exactly {@code holds} gradients and {@code leaves} leaves use: one it may write in place.
         */
        private boolean owned(DenseTensor t, int holds, int leaves) {
            float[] a = t.storage().array();
            return arena.tracks(a) && t.isWhole() && uses(holders, a) == holds && uses(leafGrads, a) == leaves;
        }

        private static int uses(Map<float[], int[]> counts, float[] a) {
            int[] n = counts.get(a);
            return n == null ? 0 : n[0];
        }

        /** Adds {@code delta} to the count of {@code t}'s array if it is one of this pass; returns the count. */
        private int count(Map<float[], int[]> counts, DenseTensor t, int delta) {
            float[] a = t.storage().array();
            if (!arena.tracks(a)) {
                return -1;
            }
            int[] n = counts.computeIfAbsent(a, k -> new int[1]);
            n[0] += delta;
            if (n[0] == 0) {
                counts.remove(a);
            }
            return n[0];
        }

        private void hold(DenseTensor g) {
            count(holders, g, 1);
        }

        /** Ends one use of {@code g}'s array by a gradient, giving it back if that was the last use. */
        private void drop(DenseTensor g) {
            if (count(holders, g, -1) == 0) {
                giveBackIfDead(g.storage().array());
            }
        }

        /** Gives back the arrays allocated since the last sweep that no gradient or leaf uses: temporaries. */
        private void sweep() {
            for (float[] a : arena.fresh) {
                giveBackIfDead(a);
            }
            arena.fresh.clear();
        }

        private void giveBackIfDead(float[] a) {
            if (arena.tracks(a) && !holders.containsKey(a) && !leafGrads.containsKey(a)) {
                Storage s = arena.remove(a);
                if (s != null) {
                    s.markRecycledAfterBackward(true);
                }
                giveBack(a);
            }
        }

        /** After the pass, gives back the arrays of the block whose result {@code node} made, if any. */
        private void releaseBlock(Node node) {
            if (node.blockArrays == null) {
                return;
            }
            node.blockArrays.forEach((array, storage) -> {
                if (storage != null) {
                    storage.markRecycledAfterBackward(false);
                }
                giveBack(array);
            });
            for (Node n : node.blockNodes) {
                n.released = true;
            }
            node.blockArrays = null;
            node.blockNodes = null;
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
}
