package org.minidiffusion.demos;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * The first demo: a tiny MLP, trained with autograd and SGD with momentum, learns to tell apart
 * two interleaved spirals of 2-D points, in the spirit of micrograd.
 *
 * <p>Everything runs on the {@linkplain Backends#current() current backend}.
 */
final class MlpDemo {
    /** Steps of full-batch training by default. */
    static final int DEFAULT_STEPS = 400;
    /** The seed of the data and the initial weights by default. */
    static final long DEFAULT_SEED = 42;
    /** The learning rate by default. */
    static final float DEFAULT_LR = 0.2f;

    /** The command line of {@code mlp}. */
    static final CliCommand COMMAND = CliCommand.named("mlp",
                    "Train a tiny MLP on two interleaved spirals with autograd and SGD, printing the loss and accuracy.")
            .option("steps", "N", "steps of full-batch training (default: " + DEFAULT_STEPS + ")")
            .option("seed", "N", "the seed of the points and the initial weights (default: " + DEFAULT_SEED + ")")
            .option("lr", "X", "the learning rate (default: " + DEFAULT_LR + ")")
            .build();

    private static final int POINTS = 400;
    private static final int HIDDEN = 32;
    private static final float MOMENTUM = 0.9f;
    private static final double TURNS = 1.25;
    private static final double NOISE = 0.05;

    private MlpDemo() {
    }

    /**
     * The training settings.
     *
     * @param steps    full-batch gradient steps
     * @param seed     the seed of the data and the initial weights
     * @param lr       the learning rate
     * @param logEvery print the loss every this many steps
     */
    record Config(int steps, long seed, float lr, int logEvery) {
        /**
         * Returns the default settings.
         *
         * @return the settings
         */
        static Config defaults() {
            return new Config(DEFAULT_STEPS, DEFAULT_SEED, DEFAULT_LR, DEFAULT_STEPS / 10);
        }
    }

    /**
     * What training achieved.
     *
     * @param losses   the loss before each step, then the loss after the last one
     * @param accuracy the fraction of training points classified correctly at the end
     * @param millis   the wall-clock training time
     */
    record Result(double[] losses, double accuracy, long millis) {
        /**
         * Returns the loss of the initial weights.
         *
         * @return the loss
         */
        double firstLoss() {
            return losses[0];
        }

        /**
         * Returns the loss of the trained weights.
         *
         * @return the loss
         */
        double lastLoss() {
            return losses[losses.length - 1];
        }
    }

    /** A fully connected layer {@code y = x W^T + b}, initialised as PyTorch's {@code nn.Linear}. */
    static final class Linear extends AbstractLayer {
        private final Parameter weight;
        private final Parameter bias;

        /**
         * Creates the layer with weights and bias uniform in {@code ±1/sqrt(in)}.
         *
         * @param in  input features
         * @param out output features
         * @param rng the generator of the initial values
         */
        Linear(int in, int out, Rng rng) {
            float bound = (float) (1 / Math.sqrt(in));
            weight = parameter("weight", Tensor.rand(rng, out, in).mul(2 * bound).sub(bound));
            bias = parameter("bias", Tensor.rand(rng, out).mul(2 * bound).sub(bound));
        }

        /**
         * Returns {@code x W^T + b} for an {@code (N, in)} input.
         *
         * @param x the input
         * @return the {@code (N, out)} output
         */
        @Override
        public Tensor forward(Tensor x) {
            return x.matmul(weight.value().transpose(0, 1)).add(bias.value());
        }
    }

    /** The model: 2 → 32 → 32 → 2 with tanh activations, giving a logit per class. */
    static final class Mlp extends AbstractLayer {
        private final Linear l1;
        private final Linear l2;
        private final Linear l3;

        /**
         * Creates the model with random initial weights.
         *
         * @param rng the generator of the initial weights
         */
        Mlp(Rng rng) {
            l1 = child("0", new Linear(2, HIDDEN, rng));
            l2 = child("1", new Linear(HIDDEN, HIDDEN, rng));
            l3 = child("2", new Linear(HIDDEN, 2, rng));
        }

        /**
         * Returns the class logits of {@code (N, 2)} points.
         *
         * @param x the points
         * @return the {@code (N, 2)} logits
         */
        @Override
        public Tensor forward(Tensor x) {
            return l3.forward(l2.forward(l1.forward(x).tanh()).tanh());
        }
    }

    /**
     * The two-spirals data set: each class lies on one arm of a double spiral of 1.25 turns around
     * the origin, with Gaussian noise.
     *
     * @param points the {@code (N, 2)} coordinates
     * @param labels the class of each point, 0 or 1
     */
    record Spirals(Tensor points, int[] labels) {
        /**
         * Generates {@code n} points, half of each class.
         *
         * @param n   the number of points
         * @param rng the generator
         * @return the data set
         */
        static Spirals generate(int n, Rng rng) {
            float[] xy = new float[2 * n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                int label = i % 2;
                double r = 0.1 + 0.9 * rng.nextDouble();                 // distance from the centre
                double angle = 2 * Math.PI * TURNS * r + Math.PI * label; // the arms are half a turn apart
                xy[2 * i] = (float) (2 * r * Math.cos(angle) + NOISE * rng.nextGaussian());
                xy[2 * i + 1] = (float) (2 * r * Math.sin(angle) + NOISE * rng.nextGaussian());
                labels[i] = label;
            }
            return new Spirals(Tensor.of(xy, n, 2), labels);
        }

        /**
         * Returns the labels as an {@code (N, 2)} one-hot tensor.
         *
         * @return the one-hot targets
         */
        Tensor oneHot() {
            float[] data = new float[2 * labels.length];
            for (int i = 0; i < labels.length; i++) {
                data[2 * i + labels[i]] = 1f;
            }
            return Tensor.of(data, labels.length, 2);
        }
    }

    /**
     * Returns the mean cross-entropy of logits against one-hot targets.
     *
     * @param logits  the {@code (N, C)} logits
     * @param targets the {@code (N, C)} one-hot targets
     * @return the rank-0 loss
     */
    static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return logits.logSoftmax(1).mul(targets).sum(1).neg().mean();
    }

    /**
     * Trains the model on the current backend, printing the loss every {@code logEvery} steps.
     *
     * @param config the settings
     * @param out    where progress goes
     * @return the loss history and the final accuracy
     */
    static Result train(Config config, PrintStream out) {
        long start = System.nanoTime();
        Rng rng = new Rng(config.seed());
        Spirals data = Spirals.generate(POINTS, rng);
        Tensor targets = data.oneHot();
        Mlp model = new Mlp(rng);
        List<Parameter> params = List.copyOf(model.parameters().values());
        List<Tensor> velocity = new ArrayList<>();
        params.forEach(p -> velocity.add(Tensor.zeros(p.shape().toArray())));
        int count = params.stream().mapToInt(p -> p.shape().numel()).sum();
        out.printf(Locale.ROOT, "training a 2-%d-%d-2 tanh MLP (%d parameters) on %d two-spirals points: "
                        + "%d steps, SGD lr %s, momentum %s, seed %d%n",
                HIDDEN, HIDDEN, count, POINTS, config.steps(), config.lr(), MOMENTUM, config.seed());

        double[] losses = new double[config.steps() + 1];
        for (int step = 0; step <= config.steps(); step++) {
            Tensor loss = crossEntropy(model.forward(data.points()), targets);
            losses[step] = loss.item();
            if (step % config.logEvery() == 0 || step == config.steps()) {
                out.printf(Locale.ROOT, "step %4d  loss %.4f%n", step, losses[step]);
            }
            if (step == config.steps()) {
                break;
            }
            loss.backward();
            sgdStep(params, velocity, config.lr());
        }

        double accuracy = accuracy(model, data);
        long millis = (System.nanoTime() - start) / 1_000_000;
        out.printf(Locale.ROOT, "training accuracy %.1f%% (%d points) in %.2f s%n",
                100 * accuracy, POINTS, millis / 1000.0);
        return new Result(losses, accuracy, millis);
    }

    /**
     * Takes one step of SGD with momentum: {@code v = momentum * v + grad; p = p - lr * v}.
     *
     * <p>The new parameter values have no gradient yet, which is how gradients are zeroed.
     *
     * @param params   the parameters, each holding a gradient
     * @param velocity the running velocity of each parameter, updated in place
     * @param lr       the learning rate
     */
    @SuppressWarnings("try") // the scope is only opened and closed
    static void sgdStep(List<Parameter> params, List<Tensor> velocity, float lr) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                Tensor v = velocity.get(i).mul(MOMENTUM).add(p.grad());
                velocity.set(i, v);
                p.set(p.value().sub(v.mul(lr)));
            }
        }
    }

    /**
     * Returns the fraction of the data set the model classifies correctly.
     *
     * @param model the model
     * @param data  the data set
     * @return the accuracy in {@code [0, 1]}
     */
    @SuppressWarnings("try") // the scope is only opened and closed
    static double accuracy(Mlp model, Spirals data) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            return accuracy(model.forward(data.points()), data.labels());
        }
    }

    /**
     * Returns the fraction of rows whose largest logit is at the label.
     *
     * @param logits the {@code (N, C)} logits
     * @param labels the labels
     * @return the accuracy in {@code [0, 1]}
     */
    static double accuracy(Tensor logits, int[] labels) {
        float[] z = logits.toArray();
        int classes = logits.size(1);
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (z[i * classes + c] > z[i * classes + best]) {
                    best = c;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        return (double) correct / labels.length;
    }
}
