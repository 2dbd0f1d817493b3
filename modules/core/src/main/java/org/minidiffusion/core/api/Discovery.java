package org.minidiffusion.core.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.minidiffusion.core.spi.BackendProvider;

/**
 * The rules of backend discovery and choice behind {@link Backends}, kept apart from
 * {@link ServiceLoader} so they can be tested with mocked providers.
 */
final class Discovery {
    /** The advice given when no backend is installed. */
    static final String INSTALL_HINT = "add a backend module to the module path, such as "
            + "org.minidiffusion.backend.scalar (backend-scalar.jar) or org.minidiffusion.backend.parallel "
            + "(backend-parallel.jar), or put its jar on the class path";

    private Discovery() {
    }

    /**
     * Instantiates every provider and checks that their ids are unique.
     *
     * @param providers the providers found by a service loader
     * @return the backends in discovery order
     * @throws BackendException if a provider fails to load or two share an id
     */
    static List<Backend> load(List<ServiceLoader.Provider<BackendProvider>> providers) {
        Map<String, Backend> byId = new LinkedHashMap<>();
        for (ServiceLoader.Provider<BackendProvider> p : providers) {
            BackendProvider provider;
            String type = describeType(p);
            try {
                provider = p.get();
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                throw new BackendException("backend provider " + type + " failed to load: " + rootMessage(e)
                        + "; fix it or remove its module from the module path", e);
            }
            Backend backend = Backend.of(provider);
            Backend previous = byId.putIfAbsent(backend.id(), backend);
            if (previous != null) {
                throw new BackendException("two backend providers have the id '" + backend.id() + "': "
                        + previous.location() + " and " + backend.location() + "; keep only one of them");
            }
        }
        return List.copyOf(byId.values());
    }

    /**
     * Chooses the default backend.
     *
     * @param found      the discovered backends
     * @param propertyId the value of the system property, or null
     * @param envId      the value of the environment variable, or null
     * @return the selection
     */
    static Backends.Selection choose(List<Backend> found, String propertyId, String envId) {
        if (found.isEmpty()) {
            throw new BackendException("no mini-diffusion backend found: " + INSTALL_HINT);
        }
        if (propertyId != null && !propertyId.isBlank()) {
            Backend b = byId(found, propertyId.trim(), "system property " + Backends.PROPERTY);
            return new Backends.Selection(b, "chosen by system property " + Backends.PROPERTY + "=" + propertyId.trim()
                    + " (found " + list(found) + ")", found);
        }
        if (envId != null && !envId.isBlank()) {
            Backend b = byId(found, envId.trim(), "environment variable " + Backends.ENV);
            return new Backends.Selection(b, "chosen by environment variable " + Backends.ENV + "=" + envId.trim()
                    + " (found " + list(found) + ")", found);
        }
        Backend best = found.stream().max(Comparator.comparingInt(Backend::priority)).orElseThrow();
        long ties = found.stream().filter(b -> b.priority() == best.priority()).count();
        if (ties > 1) {
            throw new BackendException("backends " + found.stream().filter(b -> b.priority() == best.priority())
                    .map(b -> "'" + b.id() + "'").collect(Collectors.joining(" and "))
                    + " have the same priority " + best.priority() + "; choose one with -D" + Backends.PROPERTY + "=<id>");
        }
        String reason = found.size() == 1
                ? "the only backend found"
                : "highest priority (" + best.priority() + ") of " + list(found);
        return new Backends.Selection(best, reason, found);
    }

    /**
     * Finds a backend by id.
     *
     * @param found the candidates
     * @param id    the id wanted
     * @param asker who asked, for the message
     * @return the backend
     * @throws BackendException listing the available ids if none matches
     */
    static Backend byId(List<Backend> found, String id, String asker) {
        for (Backend b : found) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        if (found.isEmpty()) {
            throw new BackendException(asker + " asks for backend '" + id + "', but no backend is installed: "
                    + INSTALL_HINT);
        }
        List<String> ids = new ArrayList<>();
        found.forEach(b -> ids.add(b.id()));
        throw new BackendException(asker + " asks for backend '" + id + "', which is not installed; available: "
                + String.join(", ", ids));
    }

    private static String list(List<Backend> found) {
        return found.stream().map(b -> b.id() + " (" + b.priority() + ")").collect(Collectors.joining(", "));
    }

    private static String describeType(ServiceLoader.Provider<BackendProvider> p) {
        try {
            return p.type().getName();
        } catch (RuntimeException | LinkageError e) {
            return "(unknown class)";
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e) : e.getMessage() + " caused by " + t;
    }
}
