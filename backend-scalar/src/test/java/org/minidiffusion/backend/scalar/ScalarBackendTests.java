package org.minidiffusion.backend.scalar;

import org.minidiffusion.testkit.BackendTestKit;

/** Runs the shared backend test kit against the scalar reference backend. */
class ScalarBackendTests extends BackendTestKit {
    @Override
    protected String backendId() {
        return "scalar";
    }
}
