package dev.mmiomediator.migration;

import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.Transition;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceListener;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every state each device went through during one side of a migration, for {@link MigrationResult#paths()}, and for
 * the side's {@link TraceListener}: each path is told to it as it is recorded, so the trace and the report agree.
 */
final class PathLog {
    private final Map<PciAddress, List<MigrationState>> paths = new LinkedHashMap<>();
    private TraceListener trace;

    /** Starts each device's path at its current state. */
    PathLog(Collection<PassthroughDevice> devices) {
        devices.forEach(d -> paths.put(d.address(), new ArrayList<>(List.of(d.state()))));
    }

    /** Tells {@code listener} (null for none) every path recorded from now on. */
    void trace(TraceListener listener) {
        this.trace = listener;
    }

    /** Tells the trace listener that the side starts, with every device's state now. */
    void started(String side, String vm) {
        if (trace != null) {
            Map<PciAddress, MigrationState> now = new LinkedHashMap<>();
            paths.forEach((device, states) -> now.put(device, states.get(states.size() - 1)));
            trace.migrationStarted(side, vm, now);
        }
    }

    /** {@code device} walked {@code path} (which starts at the state it was in), which took {@code nanos}. */
    void walked(PciAddress device, List<MigrationState> path, long nanos) {
        paths.get(device).addAll(path.subList(1, path.size()));
        if (trace != null && path.size() > 1) {
            trace.transitioned(device, path, nanos);
        }
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
        long start = System.nanoTime();
        Transition t = d.transition(step.target());
        walked(d.address(), t.path(), System.nanoTime() - start);
        return t;
    }

    /** {@code device} is in {@code state} now (after a reset, which took {@code nanos}). */
    void reached(PciAddress device, MigrationState state, long nanos) {
        List<MigrationState> path = paths.get(device);
        MigrationState before = path.get(path.size() - 1);
        path.add(state);
        if (trace != null) {
            trace.transitioned(device, List.of(before, state), nanos);
        }
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
