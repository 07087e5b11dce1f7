package dev.mmiomediator.migration.plan;

import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * Per device (in the order of its first step), every state its source steps pass through: the paths a source
     * that follows this plan walks until the stream is sent.
     */
    public Map<PciAddress, List<MigrationState>> sourcePaths() {
        return paths(source);
    }

    /** Per device, every state its destination steps pass through: the paths a completed destination walked. */
    public Map<PciAddress, List<MigrationState>> destinationPaths() {
        return paths(destination);
    }

    private static Map<PciAddress, List<MigrationState>> paths(List<Step> steps) {
        Map<PciAddress, List<MigrationState>> paths = new LinkedHashMap<>();
        for (Step s : steps) {
            List<MigrationState> path = paths.computeIfAbsent(s.device(), k -> new ArrayList<>(List.of(s.from())));
            path.addAll(s.path().subList(1, s.path().size()));
        }
        paths.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(paths);
    }

    /** Whether the verdict is {@link Verdict#ALLOWED}. */
    public boolean allowed() {
        return verdict == Verdict.ALLOWED;
    }
}
