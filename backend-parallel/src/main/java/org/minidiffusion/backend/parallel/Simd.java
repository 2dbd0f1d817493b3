package org.minidiffusion.backend.parallel;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Decides, once per JVM, whether matrix products, convolutions and column sums run on the Vector API.
 *
 * <p>They do when the incubator module {@value #MODULE} is in the boot layer (the JVM was started
 * with {@code --add-modules jdk.incubator.vector}), the system property {@value #PROPERTY} is not
 * {@code false}, and {@link SimdGemm} loads and passes a one-tile self-test. The module is only
 * looked up, never loaded, before that, so this class is safe without it. A {@link LinkageError} or
 * failure while loading falls back to the plain-Java path with a one-line warning.
 */
final class Simd {

    /** The system property that disables the Vector API path when {@code false}. */
    static final String PROPERTY = "minidiffusion.simd";

    /** The module the Vector API path needs. */
    static final String MODULE = "jdk.incubator.vector";

    /** The status when the plain-Java path is asked for explicitly. */
    static final Status DISABLED = new Status(false, 0, "Vector API disabled");

    private static final LongAdder USES = new LongAdder();

    private Simd() {
    }

    /**
     * Whether the Vector API path is active, and the vector size or the reason it is not.
     *
     * @param active whether products and convolutions use {@link SimdGemm}
     * @param bits   the vector size in bits, when active
     * @param reason why it is not active, else empty
     */
    record Status(boolean active, int bits, String reason) {
        /**
         * Returns the GEMM part of the backend's description.
         *
         * @return for example {@code "Vector API 512-bit GEMM"}
         */
        String describe() {
            return active ? "Vector API " + bits + "-bit GEMM" : "plain-Java GEMM (" + reason + ")";
        }
    }

    /** Holds the status, computed on first use. */
    private static final class Holder {
        // a lambda, not a method reference, so that SimdGemm is not even resolved unless probed
        static final Status STATUS = decide(System.getProperty(PROPERTY),
                ModuleLayer.boot().findModule(MODULE).isPresent(), () -> SimdGemm.probe(),
                note -> System.getLogger(Simd.class.getPackageName()).log(System.Logger.Level.WARNING, note));
    }

    /**
     * Returns this JVM's status, detecting it on first call.
     *
     * @return the status
     */
    static Status status() {
        return Holder.STATUS;
    }

    /**
     * Decides the status from the property's value, whether the module is present, and a probe
     * that loads the Vector API code and returns its vector size.
     *
     * @param property      the value of {@value #PROPERTY}, or {@code null}
     * @param modulePresent whether {@value #MODULE} is in the boot layer
     * @param probe         loads and tests the kernel; called only when the other two allow
     * @param warning       receives a one-line note if the probe fails
     * @return the status
     */
    static Status decide(String property, boolean modulePresent, IntSupplier probe,
                         Consumer<String> warning) {
        if ("false".equalsIgnoreCase(property)) {
            return new Status(false, 0, "Vector API disabled by -D" + PROPERTY + "=false");
        }
        if (!modulePresent) {
            return new Status(false, 0, "start with --add-modules " + MODULE + " for SIMD");
        }
        try {
            return new Status(true, probe.getAsInt(), "");
        } catch (LinkageError | RuntimeException e) {
            warning.accept("mini-diffusion: the Vector API failed to load (" + e
                    + "); using the plain-Java GEMM");
            return new Status(false, 0, "Vector API failed to load: " + e.getClass().getSimpleName());
        }
    }

    /** Counts one call that ran on the Vector API path; tests check that it really ran. */
    static void recordUse() {
        USES.increment();
    }

    /**
     * Returns how many calls ran on the Vector API path so far.
     *
     * @return the count
     */
    static long uses() {
        return USES.sum();
    }
}
