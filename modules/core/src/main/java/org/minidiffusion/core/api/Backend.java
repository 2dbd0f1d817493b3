package org.minidiffusion.core.api;

import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.Kernels;

/**
 * A compute backend that tensors live on, made from a discovered {@link BackendProvider}.
 *
 * <p>Get one from {@link Backends}; create tensors on it with its factory methods, or make it the
 * current backend for a block with {@link #call(Supplier)}.
 */
public final class Backend {
    private final BackendProvider provider;
    private final String id;
    private volatile Kernels kernels;

    /** The tensor implementation, loaded on first use: the core's own {@link TensorFactory} service. */
    private static final class Tensors {
        static final TensorFactory FACTORY = load();

        private static TensorFactory load() {
            List<ServiceLoader.Provider<TensorFactory>> found = ServiceLoader.load(TensorFactory.class,
                    TensorFactory.class.getClassLoader()).stream().collect(Collectors.toList());
            if (found.size() != 1) {
                List<String> types = found.stream().map(p -> p.type().getName()).collect(Collectors.toList());
                throw new BackendException("the core needs exactly one " + TensorFactory.class.getName()
                        + " (its own), found " + types
                        + "; is the org.minidiffusion.core jar complete, and on the path only once?");
            }
            return found.get(0).get();
        }
    }

    /** Returns the tensor implementation, for the API classes that update tensors in place. */
    static TensorFactory tensors() {
        return Tensors.FACTORY;
    }

    private Backend(BackendProvider provider, String id) {
        this.provider = provider;
        this.id = id;
    }

    /**
     * Wraps a provider; its kernels are created on first use. Discovery calls this; tests may too.
     *
     * @param provider the provider
     * @return the backend
     * @throws BackendException if the provider has no id
     */
    public static Backend of(BackendProvider provider) {
        Objects.requireNonNull(provider, "Backend.of: provider is null");
        String id = provider.id();
        if (id == null || id.isBlank()) {
            throw new BackendException("backend provider " + provider.getClass().getName() + " has no id");
        }
        return new Backend(provider, id);
    }

    /**
     * Returns the id users select this backend by.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * Returns the provider's one-line description.
     *
     * @return the description
     */
    public String description() {
        return provider.description();
    }

    /**
     * Returns the provider's priority; the highest wins when none is chosen explicitly.
     *
     * @return the priority
     */
    public int priority() {
        return provider.priority();
    }

    /**
     * Returns where the provider was loaded from: its module, or its jar on the class path.
     *
     * @return a short location
     */
    public String location() {
        Class<?> c = provider.getClass();
        Module m = c.getModule();
        if (m.isNamed()) {
            return "module " + m.getName();
        }
        var source = c.getProtectionDomain().getCodeSource();
        return source == null ? "class path" : "class path " + source.getLocation();
    }

    /**
     * Returns the kernels, creating them on first use.
     *
     * @return the kernels
     * @throws BackendException if the provider fails to create them
     */
    public Kernels kernels() {
        Kernels k = kernels;
        if (k == null) {
            synchronized (this) {
                k = kernels;
                if (k == null) {
                    try {
                        k = provider.createKernels();
                    } catch (RuntimeException | LinkageError e) {
                        throw new BackendException("backend '" + id + "' failed to create its kernels: " + e, e);
                    }
                    if (k == null) {
                        throw new BackendException("backend '" + id + "' returned no kernels");
                    }
                    kernels = k;
                }
            }
        }
        return k;
    }

    /**
     * Runs {@code block} with this backend as the {@linkplain Backends#current() current} one on
     * this thread, and returns its result.
     *
     * @param block the code to run
     * @param <T>   the result type
     * @return the block's result
     */
    public <T> T call(Supplier<T> block) {
        try (Backends.Scope scope = Backends.use(this)) {
            return block.get();
        }
    }

    /**
     * Runs {@code block} with this backend as the current one on this thread.
     *
     * @param block the code to run
     */
    public void run(Runnable block) {
        try (Backends.Scope scope = Backends.use(this)) {
            block.run();
        }
    }

    /**
     * Returns a tensor of zeros on this backend.
     *
     * @param shape the dims
     * @return the tensor
     */
    public Tensor zeros(int... shape) {
        return full(0f, shape);
    }

    /**
     * Returns a tensor of ones on this backend.
     *
     * @param shape the dims
     * @return the tensor
     */
    public Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /**
     * Returns a tensor filled with {@code value}; with no dims, a scalar.
     *
     * @param value the value
     * @param shape the dims
     * @return the tensor
     */
    public Tensor full(float value, int... shape) {
        Shape s = Shape.of(shape);
        TensorFactory f = Tensors.FACTORY;
        float[] data = value == 0f ? f.allocateZeroed(s.numel()) : f.allocate(s.numel());
        if (value != 0f) {
            java.util.Arrays.fill(data, value);
        }
        return Tensors.FACTORY.wrap(this, data, s);
    }

    /**
     * Returns {@code start, start + step, ...} below {@code end} (above it for a negative step).
     *
     * @param start the first value
     * @param end   the exclusive bound
     * @param step  the non-zero increment
     * @return a rank-1 tensor
     */
    public Tensor arange(float start, float end, float step) {
        if (step == 0f || !Float.isFinite(step) || !Float.isFinite(start) || !Float.isFinite(end)) {
            throw new IllegalArgumentException("arange: start, end and step must be finite and step non-zero, got "
                    + start + ", " + end + ", " + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / (double) step));
        float[] data = Tensors.FACTORY.allocate(n);
        for (int i = 0; i < n; i++) {
            data[i] = start + i * step;
        }
        return Tensors.FACTORY.wrap(this, data, Shape.of(n));
    }

    /**
     * Returns a tensor holding a copy of {@code data}.
     *
     * @param data  row-major values
     * @param shape the dims, whose product is {@code data.length}
     * @return the tensor
     */
    public Tensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "Tensor.of: data is null");
        Shape s = Shape.of(shape);
        if (s.numel() != data.length) {
            throw new ShapeException("of", data.length + " values cannot fill shape", s);
        }
        float[] copy = Tensors.FACTORY.allocate(data.length);
        System.arraycopy(data, 0, copy, 0, data.length);
        return Tensors.FACTORY.wrap(this, copy, s);
    }

    /**
     * Returns a tensor over {@code data} itself, without copying it: for a loader that fills a
     * fresh array and hands it over, so a large tensor is held once rather than twice while it is
     * made (see {@link #of}, which copies).
     *
     * <p>The tensor takes ownership: the caller must neither read nor write the array afterwards.
     * Writing it later is undefined (the tensor, its views and anything computed from it may or may
     * not see the change), and no workspace ever reuses it.
     *
     * @param data  row-major values, {@code numel(shape)} of them
     * @param shape the dims
     * @return the tensor, a leaf on this backend
     * @throws ShapeException if a dim is negative or the dims do not hold exactly {@code data.length} values
     */
    public Tensor adopt(float[] data, int... shape) {
        Objects.requireNonNull(data, "Backend.adopt: data is null");
        Objects.requireNonNull(shape, "Backend.adopt: shape is null");
        Shape s;
        try {
            s = Shape.of(shape);
        } catch (ShapeException e) {
            throw new ShapeException("adopt", "cannot shape " + data.length + " values as "
                    + java.util.Arrays.toString(shape) + " (" + e.getMessage() + ")");
        }
        if (s.numel() != data.length) {
            throw new ShapeException("adopt", data.length + " values cannot fill shape", s);
        }
        return Tensors.FACTORY.wrap(this, data, s);
    }

    /**
     * Returns standard normal samples; the same generator state gives the same values everywhere.
     *
     * @param rng   the generator
     * @param shape the dims
     * @return the tensor
     */
    public Tensor randn(Rng rng, int... shape) {
        Objects.requireNonNull(rng, "randn: rng is null");
        Shape s = Shape.of(shape);
        float[] data = Tensors.FACTORY.allocate(s.numel());
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextGaussian();
        }
        return Tensors.FACTORY.wrap(this, data, s);
    }

    /**
     * Returns uniform samples in {@code [0, 1)}.
     *
     * @param rng   the generator
     * @param shape the dims
     * @return the tensor
     */
    public Tensor rand(Rng rng, int... shape) {
        Objects.requireNonNull(rng, "rand: rng is null");
        Shape s = Shape.of(shape);
        float[] data = Tensors.FACTORY.allocate(s.numel());
        for (int i = 0; i < data.length; i++) {
            data[i] = rng.nextFloat();
        }
        return Tensors.FACTORY.wrap(this, data, s);
    }

    /**
     * Concatenates tensors of this backend along {@code dim}.
     *
     * @param dim     the dim
     * @param tensors the parts
     * @return the joined tensor
     */
    public Tensor concat(int dim, List<Tensor> tensors) {
        return Tensors.FACTORY.concat(this, dim, tensors);
    }

    @Override
    public String toString() {
        return id + " (priority " + priority() + ", " + description() + ")";
    }
}
