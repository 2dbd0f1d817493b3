package org.minidiffusion.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.Kernels;

/**
 * A workspace never keeps memory the garbage collector needs: in a JVM with a 64 MiB heap, a loop
 * whose dead tensors add up to 400 MiB runs to the end, whether it recycles or not.
 */
class WorkspaceMemoryTests {
    /** Each tensor is 1 MiB; the loops allocate 400 of them, more than six times the heap. */
    private static final int FLOATS = 256 * 1024;
    private static final int TENSORS = 400;

    @Test
    void aPooledLoopFitsInTheHeapItNeedsWithoutAPool() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                WorkspaceMemoryTests.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), "the child JVM with -Xmx64m failed:\n" + output);
        assertEquals("ok", output.strip(), output);
    }

    /**
     * The child JVM: a new length on every iteration, so recycled buffers are never reused and pile
     * up in the free lists; then tensors of one length that are never recycled, which pile up as
     * handed out.
     *
     * @param args none
     */
    public static void main(String[] args) {
        Backend b = Backend.of(new CreationOnly());
        try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
            for (int i = 0; i < TENSORS; i++) {
                b.zeros(FLOATS + i);
                ws.recycle();
            }
            for (int i = 0; i < TENSORS; i++) {
                b.zeros(FLOATS);
            }
        }
        System.out.println("ok");
    }

    /** A backend that only creates tensors, which needs no kernels. */
    private static final class CreationOnly implements BackendProvider {
        @Override
        public String id() {
            return "creation-only";
        }

        @Override
        public String description() {
            return "creates tensors, computes nothing";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Kernels createKernels() {
            throw new UnsupportedOperationException("no kernels");
        }
    }
}
