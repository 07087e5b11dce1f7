package dev.mmiomediator.dma;

import dev.mmiomediator.memory.FlatView;

/**
 * The two package-private steps of a {@link Mediator}'s republish, opened to {@code RepublishBenchmark} only.
 *
 * <p>It lives in the benchmarks module, in the library's package, so that the library itself has no public
 * method that exists for a benchmark. Nothing but the benchmarks may use it.
 */
public final class RepublishSteps {
    private RepublishSteps() {
    }

    /** {@code MediatedView.vcpuViewOf}: the vCPU view, reusing the sections of unchanged ranges. */
    public static MediatedView vcpuViewOf(FlatView flat, FlatView previousFlat, MediatedView previous) {
        return MediatedView.vcpuViewOf(flat, previousFlat, previous);
    }

    /** {@code MediatedView.devicesOf}: the non-vCPU view derived from the vCPU view of the same flat view. */
    public static MediatedView devicesOf(MediatedView vcpuView, FlatView flat, boolean ramOnly) {
        return MediatedView.devicesOf(vcpuView, flat, ramOnly);
    }
}
