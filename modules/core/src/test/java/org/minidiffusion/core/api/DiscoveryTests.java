package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.BackendProvider;

/** Discovery and choice of backends, with mocked providers. */
class DiscoveryTests {

    private static BackendProvider backend(String id, int priority) {
        BackendProvider p = mock(BackendProvider.class);
        when(p.id()).thenReturn(id);
        when(p.priority()).thenReturn(priority);
        when(p.description()).thenReturn(id + " test backend");
        return p;
    }

    @SuppressWarnings("unchecked")
    private static ServiceLoader.Provider<BackendProvider> found(BackendProvider p) {
        ServiceLoader.Provider<BackendProvider> sp = mock(ServiceLoader.Provider.class);
        when(sp.get()).thenReturn(p);
        return sp;
    }

    @Test
    void noBackendNamesTheModulesToAdd() {
        List<Backend> none = Discovery.load(List.of());
        BackendException e = assertThrows(BackendException.class, () -> Discovery.choose(none, null, null));
        assertTrue(e.getMessage().contains("org.minidiffusion.backend.scalar"), e.getMessage());
        assertTrue(e.getMessage().contains("org.minidiffusion.backend.parallel"), e.getMessage());
        assertTrue(e.getMessage().contains("module path"), e.getMessage());
    }

    @Test
    void highestPriorityWinsAndTheReasonSaysSo() {
        List<Backend> found = Discovery.load(List.of(found(backend("slow", 10)), found(backend("fast", 100)),
                found(backend("mid", 50))));
        Backends.Selection s = Discovery.choose(found, null, null);
        assertEquals("fast", s.backend().id());
        assertTrue(s.reason().contains("highest priority (100)"), s.reason());
        assertTrue(s.reason().contains("slow (10)") && s.reason().contains("mid (50)"), s.reason());
        assertEquals(3, s.found().size());
    }

    @Test
    void aSingleBackendIsChosenAsTheOnlyOne() {
        Backends.Selection s = Discovery.choose(Discovery.load(List.of(found(backend("solo", -5)))), null, null);
        assertEquals("solo", s.backend().id());
        assertEquals("the only backend found", s.reason());
    }

    @Test
    void theSystemPropertyBeatsPriorityAndTheEnvironment() {
        List<Backend> found = Discovery.load(List.of(found(backend("slow", 10)), found(backend("fast", 100))));
        Backends.Selection s = Discovery.choose(found, "slow", "fast");
        assertEquals("slow", s.backend().id());
        assertTrue(s.reason().contains("system property " + Backends.PROPERTY + "=slow"), s.reason());
    }

    @Test
    void theEnvironmentVariableBeatsPriority() {
        List<Backend> found = Discovery.load(List.of(found(backend("slow", 10)), found(backend("fast", 100))));
        Backends.Selection s = Discovery.choose(found, null, " slow ");
        assertEquals("slow", s.backend().id());
        assertTrue(s.reason().contains("environment variable " + Backends.ENV), s.reason());
    }

    @Test
    void anUnknownIdListsTheAvailableOnes() {
        List<Backend> found = Discovery.load(List.of(found(backend("scalar", 10)), found(backend("parallel", 100))));
        BackendException e = assertThrows(BackendException.class, () -> Discovery.choose(found, "gpu", null));
        assertTrue(e.getMessage().contains("'gpu'"), e.getMessage());
        assertTrue(e.getMessage().contains("available: scalar, parallel"), e.getMessage());
        assertTrue(e.getMessage().contains(Backends.PROPERTY), e.getMessage());
    }

    @Test
    void duplicateIdsAreAnError() {
        BackendException e = assertThrows(BackendException.class, () -> Discovery.load(
                List.of(found(backend("scalar", 10)), found(backend("scalar", 20)))));
        assertTrue(e.getMessage().contains("two backend providers have the id 'scalar'"), e.getMessage());
    }

    @Test
    void aProviderThatFailsToLoadIsReportedNotSkipped() {
        @SuppressWarnings("unchecked")
        ServiceLoader.Provider<BackendProvider> broken = mock(ServiceLoader.Provider.class);
        when(broken.get()).thenThrow(new ServiceConfigurationError("Provider com.example.Broken could not be instantiated",
                new IllegalStateException("no GPU")));
        BackendException e = assertThrows(BackendException.class,
                () -> Discovery.load(List.of(found(backend("scalar", 10)), broken)));
        assertTrue(e.getMessage().contains("failed to load"), e.getMessage());
        assertTrue(e.getMessage().contains("no GPU"), e.getMessage());
    }

    @Test
    void equalTopPrioritiesAskForAnExplicitChoice() {
        List<Backend> found = Discovery.load(List.of(found(backend("a", 7)), found(backend("b", 7))));
        BackendException e = assertThrows(BackendException.class, () -> Discovery.choose(found, null, null));
        assertTrue(e.getMessage().contains("same priority 7"), e.getMessage());
        assertTrue(e.getMessage().contains("-D" + Backends.PROPERTY), e.getMessage());
    }

    @Test
    void kernelsAreCreatedOnlyForABackendThatIsUsed() {
        BackendProvider unused = backend("unused", 1);
        BackendProvider used = backend("used", 2);
        List<Backend> found = Discovery.load(List.of(found(unused), found(used)));
        Backends.Selection s = Discovery.choose(found, null, null);
        verify(unused, never()).createKernels();
        verify(used, never()).createKernels();
        assertSame(found.get(1), s.backend());
    }

    @Test
    void aProviderWhoseKernelsFailSaysWhichBackend() {
        BackendProvider p = backend("flaky", 1);
        when(p.createKernels()).thenThrow(new UnsupportedOperationException("needs AVX-512"));
        Backend b = Discovery.load(List.of(found(p))).get(0);
        BackendException e = assertThrows(BackendException.class, b::kernels);
        assertTrue(e.getMessage().contains("backend 'flaky' failed to create its kernels"), e.getMessage());
        assertTrue(e.getMessage().contains("needs AVX-512"), e.getMessage());
    }

    @Test
    void aProviderWithoutAnIdIsRejected() {
        BackendException e = assertThrows(BackendException.class,
                () -> Discovery.load(List.of(found(backend(" ", 1)))));
        assertTrue(e.getMessage().contains("has no id"), e.getMessage());
    }
}
