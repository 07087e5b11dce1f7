package dev.mmiomediator.migration.plan;

import java.util.List;
import java.util.Objects;

/**
 * What {@link MigrationPlanner} says about migrating a topology with a policy. Immutable and thread-safe.
 *
 * @param topology    the topology planned
 * @param policy      the policy's name (with its options, if any, as the policy prints itself it is in the reasons)
 * @param verdict     whether the migration may start
 * @param reasons     why, in plain words: the blockers, or the risks that remain
 * @param source      the moves on the source, in order
 * @param destination the moves on the destination, in order
 * @param handling    what the policy does with DMA into each migratable device that lacks P2P, in device order
 * @param qemu        what QEMU 8.2's own rule decides for the same topology
 */
public record MigrationPlan(Topology topology, String policy, Verdict verdict, List<String> reasons,
                            List<Step> source, List<Step> destination, List<DeviceHandling> handling,
                            QemuVerdict qemu) {
    /** Copies the lists. */
    public MigrationPlan {
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(qemu, "qemu");
        reasons = List.copyOf(reasons);
        source = List.copyOf(source);
        destination = List.copyOf(destination);
        handling = List.copyOf(handling);
    }

    /** Whether the verdict is {@link Verdict#ALLOWED}. */
    public boolean allowed() {
        return verdict == Verdict.ALLOWED;
    }
}
