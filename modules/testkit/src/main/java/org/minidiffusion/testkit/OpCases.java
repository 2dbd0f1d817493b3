package org.minidiffusion.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.minidiffusion.core.api.Tensor;

/**
 * The catalogue of op cases the kit runs: every op of {@link Tensor}, on small and large random
 * inputs, with broadcasting, size-1 dims, rank-0 operands and non-contiguous views.
 *
 * <p><b>Input scales.</b> Float32 sums computed in different orders differ by about
 * {@code u * sigma * n} for {@code n} terms of size {@code sigma}, whatever the size of the result.
 * To compare backends under {@link Tolerance#DEFAULT}, whose absolute floor is {@code 1e-5}, inputs
 * are scaled so that every sum a kernel accumulates has partial sums of order 1: matmul operands
 * by {@code k^-1/4} each (so a product of {@code k} terms is of order 1), conv weights by
 * {@code fanIn^-1/2}, inputs of large sums by about {@code n^-1/2} or made positive, and the output
 * gradients of large cases by {@code gradScale} where the backward pass sums many of them.
 * <p><b>Sizes.</b> Small cases (at most {@value OpCase#GRADCHECK_MAX_ELEMENTS} elements per input)
 * are also checked with finite differences. "Large" cases (a 67 x 129 matrix, a 2 x 8 x 13 x 11
 * image) split over rows and channels. "Huge" cases (a 300 x 257 matrix of 77,100 elements, a
 * 2 x 16 x 40 x 36 image) are bigger than two blocks of {@code 2^15} elements, so a backend that
 * splits element-wise work in such blocks runs several, the last one ragged; their matmuls
 * ({@code k = 200}, {@code n = 300}) span several cache panels.
 */
final class OpCases {
    /** The broadcasting binary ops, by name, in a fixed order. */
    private static final Map<String, BinaryOperator<Tensor>> BINARY = binaryOps();

    private static Map<String, BinaryOperator<Tensor>> binaryOps() {
        Map<String, BinaryOperator<Tensor>> ops = new LinkedHashMap<>();
        ops.put("add", Tensor::add);
        ops.put("sub", Tensor::sub);
        ops.put("mul", Tensor::mul);
        ops.put("div", Tensor::div);
        return ops;
    }

    /** Standard normal values. */
    private static final Gen N = Gen.normal(1);
    /** Divisors: magnitude in [0.5, 2), either sign. */
    private static final Gen DIVISOR = Gen.magnitude(0.5, 2);
    /** Positive values for sqrt, log and pow. */
    private static final Gen POSITIVE = Gen.uniform(0.5, 2.5);
    /** The rows of a huge matrix: 300 x 257 = 77,100 elements, more than 2 x 2^15 and not a multiple of it. */
    private static final int HR = 300;
    /** The columns of a huge matrix. */
    private static final int HC = 257;

    private final List<OpCase> cases = new ArrayList<>();

    private OpCases() {
    }

    /**
     * Returns every case, in a fixed order.
     *
     * @return the cases
     */
    static List<OpCase> all() {
        OpCases c = new OpCases();
        c.binary();
        c.scalarForms();
        c.unary();
        c.eq();
        c.softmax();
        c.groupNorm();
        c.rowNorms();
        c.reductions();
        c.matmul();
        c.views();
        c.joins();
        c.indexing();
        c.images();
        c.huge();
        return List.copyOf(c.cases);
    }

    // ------------------------------------------------------------------ building blocks

    private static OpCase.Input in(Gen gen, int... shape) {
        return new OpCase.Input(shape, gen);
    }

    private static OpCase.Fn one(UnaryOperator<Tensor> f) {
        return in -> List.of(f.apply(in.get(0)));
    }

    private static OpCase.Fn two(BinaryOperator<Tensor> f) {
        return in -> List.of(f.apply(in.get(0), in.get(1)));
    }

    private static OpCase.Fn nary(Function<List<Tensor>, Tensor> f) {
        return in -> List.of(f.apply(in));
    }

    private static OpCase.Fn parts(Function<Tensor, List<Tensor>> f) {
        return in -> f.apply(in.get(0));
    }

    private void add(String op, String variant, OpCase.Fn fn, OpCase.Input... inputs) {
        add(op, variant, 1.0, fn, inputs);
    }

    private void add(String op, String variant, double gradScale, OpCase.Fn fn, OpCase.Input... inputs) {
        cases.add(new OpCase(op, variant, List.of(inputs), fn, true, gradScale));
    }

    private void forwardOnly(String op, String variant, OpCase.Fn fn, OpCase.Input... inputs) {
        cases.add(new OpCase(op, variant, List.of(inputs), fn, false, 1.0));
    }

    // ------------------------------------------------------------------ element-wise

    private void binary() {
        for (Map.Entry<String, BinaryOperator<Tensor>> e : BINARY.entrySet()) {
            String op = e.getKey();
            BinaryOperator<Tensor> f = e.getValue();
            Gen r = op.equals("div") ? DIVISOR : N;
            add(op, "same shape", two(f), in(N, 2, 3, 4), in(r, 2, 3, 4));
            add(op, "broadcast trailing dim", two(f), in(N, 2, 3, 4), in(r, 4));
            add(op, "broadcast size-1 last dim", two(f), in(N, 2, 3, 4), in(r, 3, 1));
            add(op, "broadcast size-1 middle dim", two(f), in(N, 2, 3, 4), in(r, 2, 1, 4));
            add(op, "broadcast rank-0 right", two(f), in(N, 2, 3, 4), in(r));
            add(op, "broadcast rank-0 left", two(f), in(N), in(r, 2, 3, 4));
            add(op, "rank-0 both", two(f), in(N), in(r));
            add(op, "broadcast lower-rank left", two(f), in(N, 4), in(r, 2, 3, 4));
            add(op, "size-1 dims on both sides", two(f), in(N, 2, 1, 4), in(r, 3, 1));
            add(op, "size-1 dims on both sides rank 3", two(f), in(N, 1, 3, 1), in(r, 2, 1, 5));
            add(op, "large broadcast row", 0.125, two(f), in(N, 67, 129), in(r, 129));
            add(op, "large outer broadcast", 0.1, two(f), in(N, 67, 1), in(r, 1, 129));
            add(op, "transposed left", two((x, y) -> f.apply(x.transpose(0, 1), y)),
                    in(N, 3, 2, 4), in(r, 2, 3, 4));
            add(op, "transposed right broadcast", two((x, y) -> f.apply(x, y.transpose(0, 1))),
                    in(N, 2, 3, 4), in(r, 4, 3));
            add(op, "narrowed left", two((x, y) -> f.apply(x.narrow(1, 1, 3), y)),
                    in(N, 2, 5, 4), in(r, 2, 3, 4));
            add(op, "permuted left size-1 right", two((x, y) -> f.apply(x.permute(2, 1, 0), y)),
                    in(N, 4, 3, 2), in(r, 2, 1, 4));
            add(op, "large both transposed", two((x, y) -> f.apply(x.transpose(0, 1), y.transpose(0, 1))),
                    in(N, 129, 67), in(r, 129, 67));
        }
    }

    private void scalarForms() {
        record Form(String op, String variant, UnaryOperator<Tensor> f, Gen gen) {
        }
        List<Form> forms = List.of(
                new Form("add", "scalar 1.5", x -> x.add(1.5f), N),
                new Form("sub", "scalar 0.75", x -> x.sub(0.75f), N),
                new Form("mul", "scalar -2.5", x -> x.mul(-2.5f), N),
                new Form("div", "scalar 4", x -> x.div(4f), N),
                new Form("div", "scalar -0.3", x -> x.div(-0.3f), N),
                new Form("rdiv", "scalar 2", x -> x.rdiv(2f), DIVISOR),
                new Form("rdiv", "scalar -1", x -> x.rdiv(-1f), DIVISOR));
        for (Form s : forms) {
            unaryVariants(s.op, s.variant, s.f, s.gen);
        }
    }

    /** Adds a small, a large, a huge, a rank-0 and a transposed-view case of an element-wise op. */
    private void unaryVariants(String op, String variant, UnaryOperator<Tensor> f, Gen gen) {
        String v = variant.isEmpty() ? "" : variant + " ";
        add(op, v + "small", one(f), in(gen, 2, 3, 4));
        add(op, v + "large", one(f), in(gen, 67, 129));
        add(op, v + "huge", one(f), in(gen, HR, HC));
        add(op, v + "huge transposed view", one(x -> f.apply(x.transpose(0, 1))), in(gen, HC, HR));
        add(op, v + "rank 0", one(f), in(gen));
        add(op, v + "transposed view", one(x -> f.apply(x.transpose(0, 2))), in(gen, 4, 3, 2));
    }

    private void unary() {
        unaryVariants("neg", "", Tensor::neg, N);
        unaryVariants("abs", "", Tensor::abs, Gen.avoiding(1, 0.1, 0));
        unaryVariants("sqrt", "", Tensor::sqrt, Gen.uniform(0.5, 3));
        unaryVariants("exp", "", Tensor::exp, N);
        unaryVariants("log", "", Tensor::log, Gen.uniform(0.5, 3));
        unaryVariants("pow", "2", x -> x.pow(2f), POSITIVE);
        unaryVariants("pow", "3 negative bases", x -> x.pow(3f), N);
        unaryVariants("pow", "0.5", x -> x.pow(0.5f), POSITIVE);
        unaryVariants("pow", "-1.5", x -> x.pow(-1.5f), POSITIVE);
        unaryVariants("clamp", "[-0.5, 0.7]", x -> x.clamp(-0.5f, 0.7f), Gen.avoiding(1, 0.05, -0.5, 0.7));
        unaryVariants("relu", "", Tensor::relu, Gen.avoiding(1, 0.1, 0));
        unaryVariants("silu", "", Tensor::silu, Gen.normal(2));
        unaryVariants("gelu", "", Tensor::gelu, Gen.normal(2));
        unaryVariants("geluTanh", "", Tensor::geluTanh, Gen.normal(2));
        unaryVariants("sigmoid", "", Tensor::sigmoid, Gen.normal(2));
        unaryVariants("tanh", "", Tensor::tanh, Gen.normal(1.5));
    }

    private void eq() {
        Gen ints = Gen.integers(0, 2);
        forwardOnly("eq", "same shape with ties", two(Tensor::eq), in(ints, 2, 3, 4), in(ints, 2, 3, 4));
        forwardOnly("eq", "broadcast", two(Tensor::eq), in(ints, 2, 3, 4), in(ints, 3, 1));
        forwardOnly("eq", "transposed view", two((x, y) -> x.transpose(0, 1).eq(y)),
                in(ints, 3, 2, 4), in(ints, 2, 3, 4));
        forwardOnly("eq", "large", two(Tensor::eq), in(ints, 67, 129), in(ints, 129));
    }

    private void softmax() {
        Gen g = Gen.normal(2);
        for (String op : List.of("softmax", "logSoftmax")) {
            boolean log = op.equals("logSoftmax");
            for (int dim : new int[] {0, 1, 2, -1}) {
                add(op, "dim " + dim, one(x -> log ? x.logSoftmax(dim) : x.softmax(dim)), in(g, 2, 3, 4));
            }
            add(op, "rank 1", one(x -> log ? x.logSoftmax(0) : x.softmax(0)), in(g, 5));
            add(op, "size-1 dim", one(x -> log ? x.logSoftmax(1) : x.softmax(1)), in(g, 3, 1, 4));
            add(op, "large dim -1", one(x -> log ? x.logSoftmax(-1) : x.softmax(-1)), in(g, 67, 129));
            add(op, "large dim 0", one(x -> log ? x.logSoftmax(0) : x.softmax(0)), in(g, 67, 129));
            add(op, "transposed view dim 1",
                    one(x -> log ? x.transpose(0, 2).logSoftmax(1) : x.transpose(0, 2).softmax(1)), in(g, 4, 3, 2));
        }
    }

    // ------------------------------------------------------------------ reductions

    private void groupNorm() {
        add("groupNorm", "groups 2 with weight and bias",
                nary(in -> in.get(0).groupNorm(2, in.get(1), in.get(2), 1e-5f)), in(N, 2, 4, 3, 3), in(N, 4), in(N, 4));
        add("groupNorm", "groups 1 no affine", one(x -> x.groupNorm(1, null, null, 1e-5f)), in(N, 2, 3, 5));
        add("groupNorm", "groups = channels, weight only",
                two((x, w) -> x.groupNorm(4, w, null, 1e-3f)), in(N, 2, 4, 2, 3), in(N, 4));
        add("groupNorm", "rank 2, bias only", two((x, b) -> x.groupNorm(2, null, b, 0f)), in(N, 3, 4), in(N, 4));
        add("groupNorm", "permuted input view",
                nary(in -> in.get(0).permute(0, 3, 1, 2).groupNorm(2, in.get(1), in.get(2), 1e-5f)),
                in(N, 2, 3, 4, 4), in(N, 4), in(N, 4));
        add("groupNorm", "shifted and scaled input", one(x -> x.mul(3f).add(5f).groupNorm(2, null, null, 1e-5f)),
                in(N, 1, 4, 3, 2));
        // a mean large against the spread: normalising must subtract the mean before it scales
        add("groupNorm", "mean 1000, spread 1, with weight and bias",
                nary(in -> in.get(0).add(1000f).groupNorm(2, in.get(1), in.get(2), 1e-5f)),
                in(N, 2, 4, 3, 3), in(N, 4), in(N, 4));
        // large: each weight gradient sums N * H * W = 286 terms
        add("groupNorm", "large groups 4", 1.0 / 16,
                nary(in -> in.get(0).groupNorm(4, in.get(1), in.get(2), 1e-5f)), in(N, 2, 8, 13, 11), in(N, 8), in(N, 8));
    }

    /**
     * Layer norm and RMS norm over the last dim, and the shapes the fused norm and softmax gradients
     * are split on: blocks of rows, runs of a length that is not a multiple of the vector size, and
     * the group norm of a U-Net block and the attention scores of a small transformer.
     */
    private void rowNorms() {
        for (String op : List.of("layerNorm", "rmsNorm")) {
            boolean ln = op.equals("layerNorm");
            add(op, "weight and bias", nary(in -> ln ? in.get(0).layerNorm(in.get(1), in.get(2), 1e-5f)
                    : in.get(0).rmsNorm(in.get(1), 1e-6f)), ln ? new OpCase.Input[] {in(N, 2, 3, 5), in(N, 5), in(N, 5)}
                    : new OpCase.Input[] {in(N, 2, 3, 5), in(N, 5)});
            add(op, "no affine", one(x -> ln ? x.layerNorm(null, null, 1e-6f) : x.rmsNorm(null, 1e-6f)), in(N, 4, 6));
            add(op, "rank 1 weight only, eps 1e-3",
                    two((x, w) -> ln ? x.layerNorm(w, null, 1e-3f) : x.rmsNorm(w, 1e-3f)), in(N, 7), in(N, 7));
            add(op, "transposed input view",
                    two((x, w) -> ln ? x.transpose(0, 2).layerNorm(w, null, 1e-5f) : x.transpose(0, 2).rmsNorm(w, 1e-5f)),
                    in(N, 4, 3, 2), in(N, 4));
            // a mean large against the spread: layer norm must subtract the mean before it scales
            add(op, "mean 1000, spread 1", two((x, w) -> ln ? x.add(1000f).layerNorm(w, null, 1e-5f)
                    : x.add(1000f).rmsNorm(w, 1e-5f)), in(N, 3, 8), in(N, 8));
            // large: each parameter gradient sums 67 rows; 37 features leave a ragged vector tail
            add(op, "large with weight", 0.125, two((x, w) -> ln ? x.layerNorm(w, null, 1e-5f) : x.rmsNorm(w, 1e-5f)),
                    in(N, 67, 129), in(N, 129));
            add(op, "features 37", nary(in -> ln ? in.get(0).layerNorm(in.get(1), in.get(2), 1e-5f)
                    : in.get(0).rmsNorm(in.get(1), 1e-5f)), in(N, 5, 11, 37), in(N, 37), in(N, 37));
            // a transformer's (batch 16, 48 tokens, width 64): 768 rows in several blocks
            add(op, "transformer (16, 48, 64)", 1.0 / 32,
                    nary(in -> ln ? in.get(0).layerNorm(in.get(1), in.get(2), 1e-5f) : in.get(0).rmsNorm(in.get(1), 1e-6f)),
                    in(N, 16, 48, 64), in(N, 64), in(N, 64));
        }
        // a U-Net block: each weight gradient sums N * H * W = 512 terms
        add("groupNorm", "U-Net 64 channels 32 groups", 1.0 / 16,
                nary(in -> in.get(0).groupNorm(32, in.get(1), in.get(2), 1e-5f)), in(N, 2, 64, 16, 16), in(N, 64),
                in(N, 64));
        add("groupNorm", "spatial 37, groups 3", 0.5,
                nary(in -> in.get(0).groupNorm(3, in.get(1), in.get(2), 1e-5f)), in(N, 3, 6, 37), in(N, 6), in(N, 6));
        Gen logits = Gen.normal(2);
        add("softmax", "attention scores (4, 4, 48, 48)", one(x -> x.softmax(-1)), in(logits, 4, 4, 48, 48));
        add("logSoftmax", "attention scores (4, 4, 48, 48)", one(x -> x.logSoftmax(-1)), in(logits, 4, 4, 48, 48));
        add("softmax", "rows of 37", one(x -> x.softmax(-1)), in(logits, 9, 37));
    }

    private void reductions() {
        // sum
        add("sum", "dim 1", one(x -> x.sum(new int[] {1}, false)), in(N, 2, 3, 4));
        add("sum", "dim 1 keepDim", one(x -> x.sum(new int[] {1}, true)), in(N, 2, 3, 4));
        add("sum", "dims 0,2", one(x -> x.sum(new int[] {0, 2}, false)), in(N, 2, 3, 4));
        add("sum", "dims 2,0 keepDim", one(x -> x.sum(new int[] {2, 0}, true)), in(N, 2, 3, 4));
        add("sum", "dim -1", one(x -> x.sum(new int[] {-1}, false)), in(N, 2, 3, 4));
        add("sum", "all dims listed", one(x -> x.sum(new int[] {0, 1, 2}, false)), in(N, 2, 3, 4));
        add("sum", "sum(dim)", one(x -> x.sum(1)), in(N, 2, 3, 4));
        add("sum", "size-1 dim", one(x -> x.sum(new int[] {1}, false)), in(N, 3, 1, 4));
        add("sum", "sum() all", one(Tensor::sum), in(N, 2, 3, 4));
        add("sum", "sum() rank 0", one(Tensor::sum), in(N));
        add("sum", "large dim 0", one(x -> x.sum(new int[] {0}, false)), in(Gen.normal(0.1), 67, 129));
        add("sum", "large dim 1 keepDim", one(x -> x.sum(new int[] {1}, true)), in(Gen.normal(0.1), 67, 129));
        add("sum", "large sum() all positive", one(Tensor::sum), in(Gen.uniform(0, 2e-4), 67, 129));
        add("sum", "transposed view dim 0", one(x -> x.transpose(0, 1).sum(new int[] {0}, true)), in(N, 4, 3));
        // mean
        add("mean", "dim 1", one(x -> x.mean(new int[] {1}, false)), in(N, 2, 3, 4));
        add("mean", "dims 0,2 keepDim", one(x -> x.mean(new int[] {0, 2}, true)), in(N, 2, 3, 4));
        add("mean", "dim -1", one(x -> x.mean(new int[] {-1}, false)), in(N, 2, 3, 4));
        add("mean", "mean(dim)", one(x -> x.mean(0)), in(N, 2, 3, 4));
        add("mean", "mean() all", one(Tensor::mean), in(N, 2, 3, 4));
        add("mean", "mean() rank 0", one(Tensor::mean), in(N));
        add("mean", "large dim 0", one(x -> x.mean(new int[] {0}, false)), in(N, 67, 129));
        add("mean", "large dims 0,1 positive", one(x -> x.mean(new int[] {0, 1}, false)), in(Gen.uniform(0, 2), 67, 129));
        add("mean", "large mean() all positive", one(Tensor::mean), in(Gen.uniform(0, 2), 67, 129));
        add("mean", "transposed view dim 1", one(x -> x.transpose(0, 2).mean(new int[] {1}, false)), in(N, 4, 3, 2));
        // max, on distinct values: no ties, and gaps wider than the finite-difference step
        Gen d = Gen.distinct(0.05);
        add("max", "dim 1", one(x -> x.max(new int[] {1}, false)), in(d, 2, 3, 4));
        add("max", "dim 1 keepDim", one(x -> x.max(new int[] {1}, true)), in(d, 2, 3, 4));
        add("max", "dims 0,2", one(x -> x.max(new int[] {0, 2}, false)), in(d, 2, 3, 4));
        add("max", "dims 0,2 keepDim", one(x -> x.max(new int[] {0, 2}, true)), in(d, 2, 3, 4));
        add("max", "dim -1", one(x -> x.max(new int[] {-1}, false)), in(d, 2, 3, 4));
        add("max", "all dims", one(x -> x.max(new int[] {0, 1, 2}, false)), in(d, 2, 3, 4));
        add("max", "max(dim)", one(x -> x.max(0)), in(d, 2, 3, 4));
        add("max", "large dim 1", one(x -> x.max(new int[] {1}, false)), in(Gen.distinct(1e-3), 67, 129));
        add("max", "large dim 0 keepDim", one(x -> x.max(new int[] {0}, true)), in(Gen.distinct(1e-3), 67, 129));
        add("max", "transposed view dim 1", one(x -> x.transpose(0, 2).max(new int[] {1}, false)), in(d, 4, 3, 2));
        // var
        add("var", "dim 1 correction 0", one(x -> x.var(new int[] {1}, false, 0)), in(N, 2, 3, 4));
        add("var", "dim 1 correction 1 keepDim", one(x -> x.var(new int[] {1}, true, 1)), in(N, 2, 3, 4));
        add("var", "dims 0,2 correction 1", one(x -> x.var(new int[] {0, 2}, false, 1)), in(N, 2, 3, 4));
        add("var", "all dims correction 0", one(x -> x.var(new int[] {0, 1, 2}, false, 0)), in(N, 2, 3, 4));
        add("var", "dim -1 correction 1 keepDim", one(x -> x.var(new int[] {-1}, true, 1)), in(N, 2, 3, 4));
        add("var", "large dim 1 correction 1", one(x -> x.var(new int[] {1}, false, 1)), in(N, 67, 129));
        add("var", "large dim 0 correction 0 keepDim", one(x -> x.var(new int[] {0}, true, 0)), in(N, 67, 129));
        add("var", "transposed view dim 0", one(x -> x.transpose(0, 1).var(new int[] {0}, false, 1)), in(N, 4, 3));
    }

    // ------------------------------------------------------------------ matmul

    /** Adds a matmul case whose operands are scaled by {@code k^-1/4}, {@code k} the contracted size. */
    private void mm(String variant, int k, BinaryOperator<Tensor> f, int[] a, int[] b) {
        mm(variant, k, 1.0, f, a, b);
    }

    /** As {@link #mm(String, int, BinaryOperator, int[], int[])}, with the output gradient scaled. */
    private void mm(String variant, int k, double gradScale, BinaryOperator<Tensor> f, int[] a, int[] b) {
        Gen g = Gen.normal(Math.pow(k, -0.25));
        add("matmul", variant, gradScale, two(f), in(g, a), in(g, b));
    }

    private void matmul() {
        BinaryOperator<Tensor> mm = Tensor::matmul;
        mm("2-D", 4, mm, new int[] {3, 4}, new int[] {4, 5});
        mm("1-D @ 2-D", 4, mm, new int[] {4}, new int[] {4, 5});
        mm("2-D @ 1-D", 4, mm, new int[] {3, 4}, new int[] {4});
        mm("1-D @ 1-D", 4, mm, new int[] {4}, new int[] {4});
        mm("size-1 dims", 1, mm, new int[] {3, 1}, new int[] {1, 4});
        mm("batched @ 2-D", 5, mm, new int[] {2, 3, 4, 5}, new int[] {5, 6});
        mm("batched @ 2-D small", 3, mm, new int[] {2, 2, 2, 3}, new int[] {3, 2});
        mm("batched @ batched", 4, mm, new int[] {2, 3, 4}, new int[] {2, 4, 5});
        mm("broadcast batch", 5, mm, new int[] {2, 1, 4, 5}, new int[] {3, 5, 6});
        mm("broadcast batch small", 3, mm, new int[] {2, 1, 2, 3}, new int[] {3, 3, 2});
        mm("1-D @ batched", 5, mm, new int[] {5}, new int[] {2, 5, 6});
        mm("batched @ 1-D", 5, mm, new int[] {2, 3, 4, 5}, new int[] {5});
        mm("batched @ 1-D small", 2, mm, new int[] {2, 3, 2}, new int[] {2});
        mm("transposed left", 4, (x, y) -> x.transpose(0, 1).matmul(y), new int[] {4, 3}, new int[] {4, 5});
        mm("transposed right", 4, (x, y) -> x.matmul(y.transpose(0, 1)), new int[] {3, 4}, new int[] {5, 4});
        mm("both transposed", 4, (x, y) -> x.transpose(0, 1).matmul(y.transpose(-1, -2)),
                new int[] {4, 3}, new int[] {5, 4});
        mm("permuted batch", 5, (x, y) -> x.permute(1, 0, 2, 3).matmul(y), new int[] {3, 2, 4, 5}, new int[] {5, 6});
        mm("non-matrix strides", 4, (x, y) -> x.permute(1, 2, 0).matmul(y), new int[] {4, 2, 3}, new int[] {4, 5});
        mm("narrowed left", 4, (x, y) -> x.narrow(1, 1, 4).matmul(y), new int[] {3, 6}, new int[] {4, 5});
        mm("batched transposed right", 4, (x, y) -> x.matmul(y.transpose(1, 2)),
                new int[] {2, 3, 4}, new int[] {2, 5, 4});
        mm("large", 129, mm, new int[] {67, 129}, new int[] {129, 33});
        mm("large transposed right", 129, (x, y) -> x.matmul(y.transpose(0, 1)),
                new int[] {67, 129}, new int[] {33, 129});
        mm("large transposed left", 129, (x, y) -> x.transpose(0, 1).matmul(y), new int[] {129, 67}, new int[] {129, 33});
        mm("large broadcast batch", 65, mm, new int[] {2, 1, 33, 65}, new int[] {3, 65, 17});
        mm("large matrix-vector", 129, mm, new int[] {67, 129}, new int[] {129});
    }

    // ------------------------------------------------------------------ views and shapes

    private void views() {
        add("reshape", "to 2-D", one(x -> x.reshape(6, 4)), in(N, 2, 3, 4));
        add("reshape", "to -1", one(x -> x.reshape(-1)), in(N, 2, 3, 4));
        add("reshape", "inferred middle -1", one(x -> x.reshape(4, -1, 2)), in(N, 2, 3, 4));
        add("reshape", "to rank 0", one(x -> x.reshape()), in(N, 1, 1));
        add("reshape", "non-contiguous (copy)", one(x -> x.transpose(0, 1).reshape(2, 6)), in(N, 3, 4));
        add("reshape", "large", one(x -> x.reshape(129, -1)), in(N, 67, 129));

        add("permute", "(2,0,1)", one(x -> x.permute(2, 0, 1)), in(N, 2, 3, 4));
        add("permute", "negative dims", one(x -> x.permute(-1, 0, -2)), in(N, 2, 3, 4));
        add("permute", "of a transposed view", one(x -> x.transpose(0, 1).permute(2, 0, 1)), in(N, 2, 3, 4));
        add("permute", "large", one(x -> x.permute(1, 0)), in(N, 67, 129));

        add("transpose", "(0,2)", one(x -> x.transpose(0, 2)), in(N, 2, 3, 4));
        add("transpose", "(-1,-2)", one(x -> x.transpose(-1, -2)), in(N, 2, 3, 4));
        add("transpose", "large", one(x -> x.transpose(0, 1)), in(N, 67, 129));

        add("unsqueeze", "dim 0", one(x -> x.unsqueeze(0)), in(N, 2, 3, 4));
        add("unsqueeze", "dim 3 (end)", one(x -> x.unsqueeze(3)), in(N, 2, 3, 4));
        add("unsqueeze", "dim -1", one(x -> x.unsqueeze(-1)), in(N, 2, 3, 4));
        add("unsqueeze", "dim -4", one(x -> x.unsqueeze(-4)), in(N, 2, 3, 4));
        add("unsqueeze", "of rank 0", one(x -> x.unsqueeze(0)), in(N));
        add("unsqueeze", "of a transposed view", one(x -> x.transpose(0, 1).unsqueeze(1)), in(N, 3, 4));

        add("squeeze", "dim 1", one(x -> x.squeeze(1)), in(N, 2, 1, 4));
        add("squeeze", "dim -2", one(x -> x.squeeze(-2)), in(N, 2, 1, 4));
        add("squeeze", "to rank 0", one(x -> x.squeeze(0)), in(N, 1));
        add("squeeze", "of a transposed view", one(x -> x.transpose(0, 1).squeeze(1)), in(N, 1, 3));

        add("broadcastTo", "(3,1) to (2,3,4)", one(x -> x.broadcastTo(2, 3, 4)), in(N, 3, 1));
        add("broadcastTo", "(4) to (2,3,4)", one(x -> x.broadcastTo(2, 3, 4)), in(N, 4));
        add("broadcastTo", "rank 0 to (2,3)", one(x -> x.broadcastTo(2, 3)), in(N));
        add("broadcastTo", "(1,3,1) to (2,3,4)", one(x -> x.broadcastTo(2, 3, 4)), in(N, 1, 3, 1));
        add("broadcastTo", "same shape", one(x -> x.broadcastTo(2, 3)), in(N, 2, 3));
        add("broadcastTo", "of a transposed view", one(x -> x.transpose(0, 1).broadcastTo(3, 4)), in(N, 4, 1));
        add("broadcastTo", "large", 0.125, one(x -> x.broadcastTo(67, 129)), in(N, 1, 129));

        add("narrow", "dim 1", one(x -> x.narrow(1, 1, 3)), in(N, 2, 5, 3));
        add("narrow", "dim -1", one(x -> x.narrow(-1, 1, 2)), in(N, 2, 5, 3));
        add("narrow", "dim 0 length 1", one(x -> x.narrow(0, 1, 1)), in(N, 2, 5, 3));
        add("narrow", "of a transposed view", one(x -> x.transpose(0, 1).narrow(1, 2, 3)), in(N, 5, 4));
        add("narrow", "large", one(x -> x.narrow(1, 10, 100)), in(N, 67, 129));

        add("slice", "dim 1", one(x -> x.slice(1, 1, 4)), in(N, 2, 5, 3));
        add("slice", "dim 0", one(x -> x.slice(0, 1, 2)), in(N, 2, 5, 3));
        add("slice", "dim -1", one(x -> x.slice(-1, 1, 3)), in(N, 2, 5, 3));

        add("split", "size 2 dim 1 (ragged)", parts(x -> x.split(2, 1)), in(N, 2, 5, 3));
        add("split", "size 1 dim 0", parts(x -> x.split(1, 0)), in(N, 2, 5, 3));
        add("split", "size 3 dim -1 (one part)", parts(x -> x.split(3, -1)), in(N, 2, 5, 3));
        add("split", "of a transposed view", parts(x -> x.transpose(0, 1).split(2, 1)), in(N, 5, 3));
        add("split", "large", parts(x -> x.split(50, 1)), in(N, 67, 129));

        add("chunk", "3 chunks dim 2 (ragged)", parts(x -> x.chunk(3, 2)), in(N, 2, 3, 7));
        add("chunk", "more chunks than entries", parts(x -> x.chunk(4, 1)), in(N, 2, 3));
        add("chunk", "2 chunks dim 0", parts(x -> x.chunk(2, 0)), in(N, 4, 3));
        add("chunk", "of a transposed view", parts(x -> x.transpose(0, 1).chunk(2, 0)), in(N, 3, 4));
    }

    private void joins() {
        add("concat", "dim 0 three parts", nary(in -> Tensor.concat(0, in)), in(N, 2, 3), in(N, 1, 3), in(N, 3, 3));
        add("concat", "dim 1", nary(in -> Tensor.concat(1, in.get(0), in.get(1))), in(N, 2, 3, 4), in(N, 2, 1, 4));
        add("concat", "dim -1 three parts", nary(in -> Tensor.concat(-1, in)), in(N, 2, 3), in(N, 2, 1), in(N, 2, 2));
        add("concat", "dim 2 rank 3", nary(in -> Tensor.concat(2, in)), in(N, 2, 3, 1), in(N, 2, 3, 4));
        add("concat", "one part", nary(in -> Tensor.concat(0, in)), in(N, 2, 3));
        add("concat", "of views", nary(in -> Tensor.concat(1, in.get(0).transpose(0, 1), in.get(1).narrow(1, 1, 2))),
                in(N, 3, 2), in(N, 2, 4));
        add("concat", "same tensor twice", nary(in -> Tensor.concat(0, in.get(0), in.get(0))), in(N, 2, 3));
        add("concat", "large dim 1", nary(in -> Tensor.concat(1, in)), in(N, 67, 129), in(N, 67, 60));

        add("stack", "dim 0", nary(in -> Tensor.stack(0, in)), in(N, 2, 3), in(N, 2, 3), in(N, 2, 3));
        add("stack", "dim 1", nary(in -> Tensor.stack(1, in)), in(N, 2, 3), in(N, 2, 3), in(N, 2, 3));
        add("stack", "dim -1", nary(in -> Tensor.stack(-1, in)), in(N, 2, 3), in(N, 2, 3));
        add("stack", "dim 2 (new last)", nary(in -> Tensor.stack(2, in)), in(N, 2, 3), in(N, 2, 3));
        add("stack", "rank-0 parts", nary(in -> Tensor.stack(0, in)), in(N), in(N), in(N));
        add("stack", "of views", nary(in -> Tensor.stack(0, List.of(in.get(0).transpose(0, 1), in.get(1)))),
                in(N, 3, 2), in(N, 2, 3));
        add("stack", "large", nary(in -> Tensor.stack(1, in)), in(N, 67, 129), in(N, 67, 129));
    }

    private void indexing() {
        add("indexSelect", "dim 0 repeated (embedding)", one(x -> x.indexSelect(0, 4, 0, 4, 2, 4)), in(N, 5, 3));
        add("indexSelect", "dim 1 repeated", one(x -> x.indexSelect(1, 3, 3, 0)), in(N, 2, 4, 3));
        add("indexSelect", "dim -1", one(x -> x.indexSelect(-1, 1, 1, 1, 0, 3)), in(N, 2, 3, 4));
        add("indexSelect", "single index", one(x -> x.indexSelect(0, 1)), in(N, 3, 4));
        add("indexSelect", "of a transposed view", one(x -> x.transpose(0, 1).indexSelect(1, 2, 2, 0)), in(N, 4, 3));
        int[] rows = new int[40];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (i * 37 + i / 3) % 67;
        }
        add("indexSelect", "large dim 0 repeated", one(x -> x.indexSelect(0, rows)), in(N, 67, 129));
        add("indexSelect", "large dim 1 repeated", one(x -> x.indexSelect(1, rows)), in(N, 67, 129));

        add("pad", "last dim value 0", one(x -> x.pad(new int[] {1, 2}, 0f)), in(N, 2, 3, 4));
        add("pad", "two dims value -1.5", one(x -> x.pad(new int[] {0, 1, 2, 0}, -1.5f)), in(N, 2, 3, 4));
        add("pad", "three dims value 0.5", one(x -> x.pad(new int[] {1, 1, 1, 1, 1, 1}, 0.5f)), in(N, 2, 3, 4));
        add("pad", "rank 1 value 2", one(x -> x.pad(new int[] {3, 3}, 2f)), in(N, 4));
        add("pad", "zero amounts", one(x -> x.pad(new int[] {0, 0, 2, 1}, 0f)), in(N, 3, 4));
        add("pad", "of a transposed view", one(x -> x.transpose(0, 1).pad(new int[] {2, 0, 1, 1}, 0f)), in(N, 4, 3));
        add("pad", "large image", one(x -> x.pad(new int[] {1, 1, 1, 1}, 0f)), in(N, 2, 8, 13, 11));
    }

    // ------------------------------------------------------------------ images

    /** Adds a conv2d case whose weight is scaled by {@code fanIn^-1/2}. */
    private void conv(String variant, double gradScale, int stride, int padding, int groups,
                      UnaryOperator<Tensor> xView, UnaryOperator<Tensor> wView, int[] x, int[] w, int[] wViewed) {
        int fanIn = wViewed[1] * wViewed[2] * wViewed[3];
        add("conv2d", variant, gradScale,
                two((a, b) -> xView.apply(a).conv2d(wView.apply(b), stride, padding, groups)),
                in(N, x), in(Gen.normal(1 / Math.sqrt(fanIn)), w));
    }

    private void conv(String variant, double gradScale, int stride, int padding, int groups, int[] x, int[] w) {
        conv(variant, gradScale, stride, padding, groups, t -> t, t -> t, x, w, w);
    }

    private void images() {
        conv("3x3 stride 1 pad 0", 1, 1, 0, 1, new int[] {1, 2, 5, 5}, new int[] {3, 2, 3, 3});
        conv("3x3 stride 1 pad 1", 1, 1, 1, 1, new int[] {1, 2, 4, 4}, new int[] {2, 2, 3, 3});
        conv("3x3 stride 2 pad 1 non-square", 1, 2, 1, 1, new int[] {1, 2, 5, 6}, new int[] {2, 2, 3, 3});
        conv("3x3 groups 2 pad 1", 1, 1, 1, 2, new int[] {1, 4, 3, 4}, new int[] {2, 2, 3, 3});
        conv("3x3 groups 2 stride 2 pad 1", 1, 2, 1, 2, new int[] {1, 4, 3, 3}, new int[] {4, 2, 3, 3});
        conv("1x1 batch 2", 1, 1, 0, 1, new int[] {2, 3, 3, 4}, new int[] {4, 3, 1, 1});
        conv("1x1 groups 2 stride 2", 1, 2, 0, 2, new int[] {2, 4, 2, 3}, new int[] {6, 2, 1, 1});
        conv("2x3 kernel", 1, 1, 1, 1, new int[] {1, 2, 4, 5}, new int[] {2, 2, 2, 3});
        conv("3x3 stride 2 pad 0 batch 2 non-square", 1, 2, 0, 1, new int[] {2, 3, 9, 7}, new int[] {4, 3, 3, 3});
        conv("permuted input view", 1, 1, 1, 1, t -> t.permute(0, 3, 1, 2), t -> t,
                new int[] {1, 3, 4, 2}, new int[] {2, 2, 3, 3}, new int[] {2, 2, 3, 3});
        conv("transposed weight view", 1, 1, 1, 1, t -> t, t -> t.transpose(0, 1),
                new int[] {1, 2, 4, 4}, new int[] {2, 3, 3, 3}, new int[] {3, 2, 3, 3});
        // large: the weight gradient sums N * OH * OW = 286 terms, so the output gradient is scaled down
        conv("large 3x3 pad 1", 1.0 / 16, 1, 1, 1, new int[] {2, 8, 13, 11}, new int[] {12, 8, 3, 3});
        conv("large 3x3 stride 2 pad 1 groups 2", 1.0 / 8, 2, 1, 2, new int[] {2, 8, 13, 11}, new int[] {12, 4, 3, 3});
        conv("large 1x1", 1.0 / 16, 1, 0, 1, new int[] {2, 8, 13, 11}, new int[] {12, 8, 1, 1});
        conv("large permuted input view", 1.0 / 16, 1, 1, 1, t -> t.permute(0, 3, 1, 2), t -> t,
                new int[] {2, 13, 11, 8}, new int[] {12, 8, 3, 3}, new int[] {12, 8, 3, 3});
        // wide: more output channels than a panel of a packed GEMM kernel (32 floats with 512-bit vectors,
        // 16 with 256-bit), in counts that are multiples of neither, and input channels that are not
        // either; the weight gradient sums N * OH * OW terms, so the output gradient is scaled by about
        // the inverse square root of that
        conv("wide 3x3 pad 1, 37 outputs", 1.0 / 8, 1, 1, 1, new int[] {2, 5, 9, 7}, new int[] {37, 5, 3, 3});
        conv("wide 3x3 pad 0 batch 1, 50 outputs", 1.0 / 8, 1, 0, 1, new int[] {1, 7, 13, 11}, new int[] {50, 7, 3, 3});
        conv("wide 3x3 stride 2 pad 1, 40 outputs", 1.0 / 8, 2, 1, 1, new int[] {2, 6, 11, 9}, new int[] {40, 6, 3, 3});
        conv("wide 1x1 batch 3, 33 outputs", 1.0 / 8, 1, 0, 1, new int[] {3, 19, 5, 7}, new int[] {33, 19, 1, 1});
        conv("wide 3x3 pad 1, 207 im2col rows", 1.0 / 8, 1, 1, 1, new int[] {2, 23, 6, 6}, new int[] {64, 23, 3, 3});
        // 765 (image, pixel) terms per weight: a contraction of several blocks that span images
        conv("wide 3x3 pad 1 batch 3, 35 outputs", 1.0 / 32, 1, 1, 1, new int[] {3, 4, 17, 15},
                new int[] {35, 4, 3, 3});

        add("upsampleNearest", "factor 2", one(x -> x.upsampleNearest(2)), in(N, 1, 2, 3, 4));
        add("upsampleNearest", "factor 3", one(x -> x.upsampleNearest(3)), in(N, 1, 2, 2, 3));
        add("upsampleNearest", "factor 1", one(x -> x.upsampleNearest(1)), in(N, 1, 2, 2, 2));
        add("upsampleNearest", "factor 2 batch 2", one(x -> x.upsampleNearest(2)), in(N, 2, 3, 4, 5));
        add("upsampleNearest", "permuted view", one(x -> x.permute(0, 3, 1, 2).upsampleNearest(2)), in(N, 1, 3, 4, 2));
        add("upsampleNearest", "large factor 2", 0.5, one(x -> x.upsampleNearest(2)), in(N, 2, 8, 13, 11));

        add("avgPool2d", "(2,2)", one(x -> x.avgPool2d(2, 2)), in(N, 1, 2, 4, 6));
        add("avgPool2d", "(3,1) overlapping", one(x -> x.avgPool2d(3, 1)), in(N, 1, 1, 7, 6));
        add("avgPool2d", "(3,2)", one(x -> x.avgPool2d(3, 2)), in(N, 1, 2, 5, 5));
        add("avgPool2d", "(1,1)", one(x -> x.avgPool2d(1, 1)), in(N, 1, 2, 3, 3));
        add("avgPool2d", "(2,2) odd sizes", one(x -> x.avgPool2d(2, 2)), in(N, 1, 2, 5, 7));
        add("avgPool2d", "permuted view", one(x -> x.permute(0, 3, 1, 2).avgPool2d(2, 2)), in(N, 1, 4, 6, 2));
        add("avgPool2d", "large (2,2)", one(x -> x.avgPool2d(2, 2)), in(N, 2, 8, 13, 11));
        add("avgPool2d", "large (3,1)", one(x -> x.avgPool2d(3, 1)), in(N, 2, 8, 13, 11));
    }

    // ------------------------------------------------------------------ huge

    private void huge() {
        for (Map.Entry<String, BinaryOperator<Tensor>> e : BINARY.entrySet()) {
            String op = e.getKey();
            BinaryOperator<Tensor> f = e.getValue();
            Gen r = op.equals("div") ? DIVISOR : N;
            add(op, "huge same shape", two(f), in(N, HR, HC), in(r, HR, HC));
            // the gradient of the row sums 300 output gradients
            add(op, "huge broadcast row", 1.0 / 16, two(f), in(N, HR, HC), in(r, HC));
            add(op, "huge transposed left", two((x, y) -> f.apply(x.transpose(0, 1), y)), in(N, HC, HR), in(r, HR, HC));
        }
        forwardOnly("eq", "huge", two(Tensor::eq), in(Gen.integers(0, 2), HR, HC), in(Gen.integers(0, 2), HR, HC));

        add("groupNorm", "huge groups 8", 1.0 / 64,
                nary(in -> in.get(0).groupNorm(8, in.get(1), in.get(2), 1e-5f)),
                in(N, 2, 16, 40, 36), in(N, 16), in(N, 16));
        Gen small = Gen.normal(0.06); // about 1/sqrt(257): partial sums of order 1
        add("sum", "huge dim 1", one(x -> x.sum(new int[] {1}, false)), in(small, HR, HC));
        add("sum", "huge dim 0 keepDim", one(x -> x.sum(new int[] {0}, true)), in(small, HR, HC));
        add("sum", "huge sum() all positive", one(Tensor::sum), in(Gen.uniform(0, 2.0 / (HR * HC)), HR, HC));
        add("sum", "huge transposed view dim 0", one(x -> x.transpose(0, 1).sum(new int[] {0}, false)),
                in(small, HC, HR));
        // axes longer than a sum block (ReduceOp.SUM_BLOCK = 4096), which a backend may split over cores
        add("sum", "huge rank 1 over several blocks", one(Tensor::sum), in(Gen.uniform(0, 2.0 / 19_000), 19_000));
        add("sum", "huge dim 0 over several blocks", one(x -> x.sum(new int[] {0}, false)),
                in(Gen.normal(0.01), 9_000, 9));
        add("sum", "huge dim 1 of two rows over several blocks", one(x -> x.sum(new int[] {1}, true)),
                in(Gen.normal(0.01), 2, 9_000));
        add("var", "huge rank 1 over several blocks", one(x -> x.var(new int[] {0}, false, 1)), in(N, 19_000));
        add("mean", "huge dim 0", one(x -> x.mean(new int[] {0}, false)), in(N, HR, HC));
        add("mean", "huge dim 1 keepDim", one(x -> x.mean(new int[] {1}, true)), in(N, HR, HC));
        add("max", "huge dim 1", one(x -> x.max(new int[] {1}, false)), in(Gen.distinct(1e-4), HR, HC));
        add("max", "huge dim 0", one(x -> x.max(new int[] {0}, false)), in(Gen.distinct(1e-4), HR, HC));
        add("var", "huge dim 0 correction 1", one(x -> x.var(new int[] {0}, false, 1)), in(N, HR, HC));
        add("var", "huge dim 1 correction 0", one(x -> x.var(new int[] {1}, true, 0)), in(N, HR, HC));
        Gen logits = Gen.normal(2);
        add("softmax", "huge dim -1", one(x -> x.softmax(-1)), in(logits, HR, HC));
        add("softmax", "huge dim 0", one(x -> x.softmax(0)), in(logits, HR, HC));
        add("logSoftmax", "huge dim -1", one(x -> x.logSoftmax(-1)), in(logits, HR, HC));
        add("logSoftmax", "huge dim 0", one(x -> x.logSoftmax(0)), in(logits, HR, HC));

        // the left operand's gradient sums n = 300 output gradients
        mm("huge", 200, 0.25, Tensor::matmul, new int[] {70, 200}, new int[] {200, HR});
        mm("huge transposed right", 200, 0.25, (x, y) -> x.matmul(y.transpose(0, 1)),
                new int[] {70, 200}, new int[] {HR, 200});
        mm("huge transposed left", 200, 0.25, (x, y) -> x.transpose(0, 1).matmul(y),
                new int[] {200, 70}, new int[] {200, HR});
        mm("huge batched", 200, 0.5, Tensor::matmul, new int[] {3, 41, 200}, new int[] {200, 130});

        add("transpose", "huge", one(x -> x.transpose(0, 1)), in(N, HR, HC));
        add("reshape", "huge non-contiguous (copy)", one(x -> x.transpose(0, 1).reshape(-1, 100)), in(N, HR, HC));
        add("narrow", "huge", one(x -> x.narrow(1, 7, 200)), in(N, HR, HC));
        add("concat", "huge dim 0", nary(in -> Tensor.concat(0, in)), in(N, HR, HC), in(N, 41, HC));
        add("stack", "huge dim 1", nary(in -> Tensor.stack(1, in)), in(N, HR, HC), in(N, HR, HC));
        add("pad", "huge two dims value 0.5", one(x -> x.pad(new int[] {1, 2, 3, 0}, 0.5f)), in(N, HR, HC));
        add("broadcastTo", "huge", 1.0 / 16, one(x -> x.broadcastTo(HR, HC)), in(N, 1, HC));
        int[] rows = new int[400];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (i * 131 + i / 7) % HR;
        }
        add("indexSelect", "huge dim 0 repeated", one(x -> x.indexSelect(0, rows)), in(N, HR, HC));
        add("indexSelect", "huge dim 1 repeated", one(x -> x.indexSelect(1, Arrays.copyOf(rows, 300))), in(N, HC, HR));

        // the weight gradient sums N * OH * OW = 2880 terms, so the output gradient is scaled down
        conv("huge 3x3 pad 1", 1.0 / 128, 1, 1, 1, new int[] {2, 16, 40, 36}, new int[] {8, 16, 3, 3});
        conv("huge 3x3 stride 2 pad 1 groups 2", 1.0 / 64, 2, 1, 2, new int[] {2, 16, 40, 36}, new int[] {8, 8, 3, 3});
        conv("huge permuted input view", 1.0 / 128, 1, 1, 1, t -> t.permute(0, 3, 1, 2), t -> t,
                new int[] {2, 40, 36, 16}, new int[] {8, 16, 3, 3}, new int[] {8, 16, 3, 3});
        add("upsampleNearest", "huge factor 2", 0.5, one(x -> x.upsampleNearest(2)), in(N, 2, 16, 40, 36));
        add("avgPool2d", "huge (2,2)", one(x -> x.avgPool2d(2, 2)), in(N, 2, 16, 40, 36));
        add("avgPool2d", "huge (3,1)", one(x -> x.avgPool2d(3, 1)), in(N, 2, 16, 40, 36));
    }
}
