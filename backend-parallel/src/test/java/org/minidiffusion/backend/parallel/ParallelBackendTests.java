package org.minidiffusion.backend.parallel;

import org.minidiffusion.testkit.BackendTestKit;

/** Runs the shared backend test kit against the parallel backend, compared with the scalar reference. */
class ParallelBackendTests extends BackendTestKit {
    @Override
    protected String backendId() {
        return "parallel";
    }
}
