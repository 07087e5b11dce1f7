package dev.mmiomediator.migration;

import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.Transition;
import dev.mmiomediator.pci.PciAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every state each device went through during one side of a migration, for {@link MigrationResult#paths()}. */
final class PathLog {
    private final Map<PciAddress, List<MigrationState>> paths = new LinkedHashMap<>();

    /** Starts each device's path at its current state. */
    PathLog(Collection<PassthroughDevice> devices) {
        devices.forEach(d -> paths.put(d.address(), new ArrayList<>(List.of(d.state()))));
    }

    /** {@code device} walked {@code path} (which starts at the state it was in). */
    void walked(PciAddress device, List<MigrationState> path) {
        paths.get(device).addAll(path.subList(1, path.size()));
    }

    /**
     * Moves {@code d} as the plan's {@code step} says and records the path. The step's path is the one the plan
     * printed, so a device that would walk another one (another state before the step, or other flags) is not moved.
     *
     * @throws IllegalStateException naming the step, the device's state and flags, if its path would differ
     */
    Transition walk(PassthroughDevice d, Step step) {
        List<MigrationState> path = MigrationFsm.path(d.flags(), d.state(), step.target());
        if (!path.equals(step.path())) {
            throw new IllegalStateException("plan step " + step + ": " + d.address() + " is " + d.state()
                    + " with flags " + d.flags() + ", so it would walk " + MigrationFsm.format(path)
                    + ", not the planned path");
        }
        Transition t = d.transition(step.target());
        walked(d.address(), t.path());
        return t;
    }

    /** {@code device} is in {@code state} now (after a reset). */
    void reached(PciAddress device, MigrationState state) {
        paths.get(device).add(state);
    }

    /** An immutable copy. */
    Map<PciAddress, List<MigrationState>> snapshot() {
        Map<PciAddress, List<MigrationState>> copy = new LinkedHashMap<>();
        paths.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }

    /** {@code RUNNING -> RUNNING_P2P -> STOP}. */
    static String join(List<MigrationState> path) {
        StringBuilder sb = new StringBuilder();
        for (MigrationState s : path) {
            sb.append(sb.length() == 0 ? "" : " -> ").append(s);
        }
        return sb.toString();
    }
}
