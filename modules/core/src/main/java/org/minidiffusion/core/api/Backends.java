package org.minidiffusion.core.api;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import org.minidiffusion.core.spi.BackendProvider;

/**
 * Finds the installed compute backends and chooses the one new tensors are created on.
 *
 * <p>Backends are discovered once with {@link ServiceLoader}, on the module path through
 * {@code uses}/{@code provides} and on the class path through {@code META-INF/services}.
 * The default backend is chosen in this order:
 * <ol>
 *   <li>the id in the system property {@value #PROPERTY}, if set;</li>
 *   <li>else the id in the environment variable {@value #ENV}, if set;</li>
 *   <li>else the backend with the <em>highest</em> {@link Backend#priority() priority}.</li>
 * </ol>
 * An unknown id, a duplicate id, a provider that fails to load, or no backend at all is a
 * {@link BackendException} whose message says how to fix it. The choice and the reason are
 * available from {@link #selection()}, for an application to show, and are logged once at DEBUG
 * to the {@code org.minidiffusion.core} {@link System.Logger} (at INFO, every application would
 * print them twice, or show a library's record where it wants its own line).
 *
 * <p>{@link #use(Backend)} overrides the default on the current thread for a block.
 */
public final class Backends {
    /** The system property that names the backend to use. */
    public static final String PROPERTY = "minidiffusion.backend";
    /** The environment variable that names the backend to use, if the property is not set. */
    public static final String ENV = "MINIDIFFUSION_BACKEND";

    private static final ThreadLocal<Deque<Backend>> OVERRIDES = ThreadLocal.withInitial(ArrayDeque::new);
    private static volatile List<Backend> available;
    private static volatile Selection selection;

    private Backends() {
    }

    /**
     * The default backend, and why it was chosen.
     *
     * @param backend the chosen backend
     * @param reason  a sentence saying why, such as "highest priority (100) of: scalar (10), parallel (100)"
     * @param found   every backend discovered, in discovery order
     */
    public record Selection(Backend backend, String reason, List<Backend> found) {
        /**
         * Returns a one-line report of the choice.
         *
         * @return the report
         */
        public String describe() {
            return "backend '" + backend.id() + "' (" + backend.description() + ", " + backend.location()
                    + "): " + reason;
        }
    }

    /** A block during which one backend is current on this thread; see {@link #use(Backend)}. */
    public interface Scope extends AutoCloseable {
        /** Restores the previous backend. */
        @Override
        void close();
    }

    /**
     * Returns every discovered backend, in discovery order.
     *
     * @return the backends, possibly empty
     * @throws BackendException if two providers share an id or a provider fails to load
     */
    public static List<Backend> available() {
        List<Backend> a = available;
        if (a == null) {
            synchronized (Backends.class) {
                a = available;
                if (a == null) {
                    a = Discovery.load(ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())
                            .stream().toList());
                    available = a;
                }
            }
        }
        return a;
    }

    /**
     * Returns the discovered backend with the given id.
     *
     * @param id the id, such as {@code "scalar"}
     * @return the backend
     * @throws BackendException listing the available ids if there is none with this id
     */
    public static Backend get(String id) {
        return Discovery.byId(available(), id, "Backends.get");
    }

    /**
     * Returns the default backend and the reason it was chosen, choosing it on first call.
     *
     * @return the selection
     * @throws BackendException if no backend can be chosen
     */
    public static Selection selection() {
        Selection s = selection;
        if (s == null) {
            synchronized (Backends.class) {
                s = selection;
                if (s == null) {
                    s = Discovery.choose(available(), System.getProperty(PROPERTY), System.getenv(ENV));
                    System.getLogger("org.minidiffusion.core").log(System.Logger.Level.DEBUG,
                            "mini-diffusion: using " + s.describe());
                    selection = s;
                }
            }
        }
        return s;
    }

    /**
     * Returns the backend new tensors are created on: this thread's {@link #use} override, if
     * any, else the default {@linkplain #selection() selection}.
     *
     * @return the current backend
     */
    public static Backend current() {
        Backend b = OVERRIDES.get().peek();
        return b != null ? b : selection().backend();
    }

    /**
     * Makes {@code backend} current on this thread until the returned scope is closed.
     *
     * @param backend the backend
     * @return the scope; close it, ideally with try-with-resources
     */
    public static Scope use(Backend backend) {
        Objects.requireNonNull(backend, "Backends.use: backend is null");
        Deque<Backend> stack = OVERRIDES.get();
        stack.push(backend);
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    stack.remove(backend);
                }
            }
        };
    }

    /**
     * Makes the discovered backend {@code id} current on this thread until the scope is closed.
     *
     * @param id the backend id
     * @return the scope
     */
    public static Scope use(String id) {
        return use(get(id));
    }
}
