package dev.mmiomediator.migration.plan;

import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;

import java.util.List;
import java.util.Objects;

/**
 * One move of one device, as the orchestrator will ask it of the device: one {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}
 * request for {@code target}, which the kernel walks as {@code path}. Immutable and thread-safe.
 *
 * @param phase  the VM's migration phase while the move is made
 * @param device the device
 * @param target the requested state
 * @param path   {@link MigrationFsm#path} from the device's state before this step to {@code target}, both included
 */
public record Step(MigrationPhase phase, PciAddress device, MigrationState target, List<MigrationState> path) {
    /** Checks that the path ends at the target and copies it. */
    public Step {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(target, "target");
        path = List.copyOf(path);
        if (path.isEmpty() || path.get(path.size() - 1) != target) {
            throw new IllegalArgumentException("step of " + device + " to " + target + ": path " + path
                    + " does not end at the target");
        }
    }

    /** The state the device is in before the step. */
    public MigrationState from() {
        return path.get(0);
    }

    /** {@code PHASE DEVICE: RUNNING -> RUNNING_P2P}. */
    @Override
    public String toString() {
        return phase + " " + device + ": " + MigrationFsm.format(path);
    }
}
