package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Checks how {@link Simd} chooses between the Vector API and plain Java, and what the provider reports. */
class SimdSelectionTests {

    private static final Consumer<String> NO_WARNING = w -> fail("unexpected warning: " + w);

    /** {@code -Dminidiffusion.simd=false} forces plain Java, without even probing. */
    @Test
    void propertyFalseForcesPlainJava() {
        Simd.Status s = Simd.decide("false", true, () -> fail("probed although disabled"), NO_WARNING);
        assertFalse(s.active());
        assertTrue(s.describe().startsWith("plain-Java GEMM (")
                && s.describe().contains("minidiffusion.simd=false"), s.describe());
    }

    /** Without the module, the description says how to enable it, and nothing is probed. */
    @Test
    void missingModuleSaysHowToEnable() {
        Simd.Status s = Simd.decide(null, false, () -> fail("probed without the module"), NO_WARNING);
        assertFalse(s.active());
        assertTrue(s.describe().contains("--add-modules jdk.incubator.vector"), s.describe());
    }

    /** A probe that fails to link falls back to plain Java, with a one-line warning. */
    @Test
    void linkageErrorFallsBackWithAWarning() {
        List<String> warnings = new ArrayList<>();
        Simd.Status s = Simd.decide("true", true, () -> {
            throw new NoClassDefFoundError("jdk/incubator/vector/FloatVector");
        }, warnings::add);
        assertFalse(s.active());
        assertTrue(s.describe().contains("NoClassDefFoundError"), s.describe());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("plain-Java") && !warnings.get(0).contains("\n"),
                warnings.get(0));
    }

    /** A successful probe activates the Vector API with its vector size. */
    @Test
    void successfulProbeActivates() {
        Simd.Status s = Simd.decide(null, true, () -> 512, NO_WARNING);
        assertTrue(s.active());
        assertEquals("Vector API 512-bit GEMM", s.describe());
    }

    /** In this run the module is present, so the default provider uses it and the forced-off one does not. */
    @Test
    void providerReportsThePathItUses() {
        ParallelBackendProvider auto = new ParallelBackendProvider();
        ParallelBackendProvider off = new ParallelBackendProvider(false);
        assertTrue(auto.description().endsWith("Vector API " + SimdGemm.probe() + "-bit GEMM"),
                auto.description());
        assertTrue(((ParallelKernels) auto.createKernels()).simd());
        assertTrue(off.description().contains("plain-Java GEMM"), off.description());
        assertFalse(((ParallelKernels) off.createKernels()).simd());
    }
}
