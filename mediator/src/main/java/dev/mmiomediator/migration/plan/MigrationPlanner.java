package dev.mmiomediator.migration.plan;

import static dev.mmiomediator.policy.MigrationPhase.DESTINATION_RESUMING;
import static dev.mmiomediator.policy.MigrationPhase.DESTINATION_STARTING;
import static dev.mmiomediator.policy.MigrationPhase.SOURCE_PRE_COPY;
import static dev.mmiomediator.policy.MigrationPhase.SOURCE_STOPPING;
import static dev.mmiomediator.policy.MigrationPhase.SOURCE_STOP_COPY;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plans the live migration of a {@link Topology} under a P2P policy, in QEMU's order.
 *
 * <p>Source: with pre-copy, every device with the PRE_COPY flag to PRE_COPY ({@link MigrationPhase#SOURCE_PRE_COPY});
 * then every P2P-capable device to RUNNING_P2P, or PRE_COPY_P2P from PRE_COPY ({@link MigrationPhase#SOURCE_STOPPING});
 * then every device to STOP_COPY ({@link MigrationPhase#SOURCE_STOP_COPY}). Destination, where a freshly opened
 * device is RUNNING: every device to RESUMING ({@link MigrationPhase#DESTINATION_RESUMING}); then every P2P-capable
 * device to RUNNING_P2P, then every device to RUNNING ({@link MigrationPhase#DESTINATION_STARTING}). Devices move in
 * topology order; each step's path is the kernel's ({@link MigrationFsm#path}). A device without migration support
 * gets no step.
 *
 * <p>For each migratable device without P2P the planner asks the policy (never assuming what a policy does) about a
 * write and a read from every software device to every BAR, in every state on its paths that does not accept inbound
 * MMIO, with the phase of the step that passes through it, and says the answers in plain words.
 *
 * <p>Verdict: BLOCKED when a device lacks STOP_COPY (no migration support), or when the policy is
 * {@value #REQUIRE_P2P} and QEMU 8.2's rule blocks; otherwise ALLOWED, with the remaining risks as reasons.
 *
 * <p>Stateless and thread-safe.
 */
public final class MigrationPlanner {
    /** The policy that enforces QEMU 8.2's rule, for parity: its plan is blocked whenever QEMU's is. */
    public static final String REQUIRE_P2P = "require-p2p";
    /** The source's order, in words. */
    public static final String SOURCE_ORDER = "QEMU's order: every device with PRE_COPY to PRE_COPY while the VM "
            + "runs, then every P2P-capable device to RUNNING_P2P (PRE_COPY_P2P "
            + "from PRE_COPY) before any device is stopped, then every device to STOP_COPY";
    /** The destination's order, in words. */
    public static final String DESTINATION_ORDER = "QEMU's order: every device to RESUMING and its state loaded, "
            + "then every P2P-capable device to RUNNING_P2P, then each device to RUNNING";

    private static final int PROBE_LENGTH = 4;
    private static final Predicate<HandlingCase> ON_SOURCE = c -> !c.phase().isDestination();
    private static final Predicate<HandlingCase> ON_DESTINATION = c -> c.phase().isDestination();

    private MigrationPlanner() {
    }

    /**
     * The plan for migrating {@code topology} with {@code policy} (selected as {@code policyName}), as the
     * orchestrators run it: every device with the PRE_COPY flag enters PRE_COPY first, as QEMU's does when the
     * migration is set up. {@code plan}, {@code simulate} and {@code migrate} all make their plan here, so the paths
     * one prints are the paths the others walk.
     */
    public static MigrationPlan plan(Topology topology, String policyName, P2pPolicy policy) {
        return plan(topology, policyName, policy, true);
    }

    /**
     * The plan for migrating {@code topology} with {@code policy} (selected as {@code policyName}).
     *
     * @param preCopy whether devices with the PRE_COPY flag run pre-copy rounds first; without it, a plan no command
     *                runs (every command plans with pre-copy), for comparison and for tests of the order
     */
    public static MigrationPlan plan(Topology topology, String policyName, P2pPolicy policy, boolean preCopy) {
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(policyName, "policy name");
        Objects.requireNonNull(policy, "policy");
        List<PassthroughSpec> devices = topology.migratable();

        Moves src = new Moves(devices);
        if (preCopy) {
            src.all(SOURCE_PRE_COPY, d -> d.flags().has(MigrationFlag.PRE_COPY), d -> MigrationState.PRE_COPY);
        }
        src.all(SOURCE_STOPPING, PassthroughSpec::supportsP2p,
                d -> src.at(d) == MigrationState.PRE_COPY ? MigrationState.PRE_COPY_P2P : MigrationState.RUNNING_P2P);
        src.all(SOURCE_STOP_COPY, d -> true, d -> MigrationState.STOP_COPY);

        Moves dst = new Moves(devices);
        dst.all(DESTINATION_RESUMING, d -> true, d -> MigrationState.RESUMING);
        dst.all(DESTINATION_STARTING, PassthroughSpec::supportsP2p, d -> MigrationState.RUNNING_P2P);
        dst.all(DESTINATION_STARTING, d -> true, d -> MigrationState.RUNNING);

        List<DeviceHandling> handling = new ArrayList<>();
        for (PassthroughSpec d : devices) {
            if (!d.supportsP2p()) {
                handling.add(handling(topology, d, policy, src.steps, dst.steps));
            }
        }

        QemuVerdict qemu = QemuVerdict.of(topology);
        List<String> blockers = new ArrayList<>();
        for (PassthroughSpec p : topology.passthrough()) {
            if (!p.migratable()) {
                blockers.add(p.label() + " has no STOP_COPY flag (flags " + p.flagsText() + "): it has no VFIO "
                        + "migration support, so the VM cannot migrate while it is attached");
            }
        }
        if (policyName.equals(REQUIRE_P2P) && !qemu.allowed() && blockers.isEmpty()) {
            blockers.add(REQUIRE_P2P + " applies QEMU 8.2's rule: \"" + qemu.message() + "\" ("
                    + labels(devices, d -> !d.supportsP2p()) + " lack" + (count(devices, d -> !d.supportsP2p()) == 1
                    ? "s" : "") + " P2P)");
        }
        List<String> reasons = blockers.isEmpty() ? risks(topology, policyName, policy, handling, qemu) : blockers;
        return new MigrationPlan(topology, policyName, blockers.isEmpty() ? Verdict.ALLOWED : Verdict.BLOCKED,
                reasons, src.steps, dst.steps, handling, qemu);
    }

    /** The steps of one side, and where each device is. */
    private static final class Moves {
        final List<PassthroughSpec> devices;
        final Map<PciAddress, MigrationState> at = new HashMap<>();
        final List<Step> steps = new ArrayList<>();

        Moves(List<PassthroughSpec> devices) {
            this.devices = devices;
            devices.forEach(d -> at.put(d.address(), MigrationState.RUNNING));
        }

        MigrationState at(PassthroughSpec d) {
            return at.get(d.address());
        }

        void all(MigrationPhase phase, Predicate<PassthroughSpec> which,
                java.util.function.Function<PassthroughSpec, MigrationState> target) {
            for (PassthroughSpec d : devices) {
                if (which.test(d)) {
                    MigrationState to = target.apply(d);
                    steps.add(new Step(phase, d.address(), to, MigrationFsm.path(d.flags(), at(d), to)));
                    at.put(d.address(), to);
                }
            }
        }
    }

    // ---------------------------------------------------------------- what the policy does

    private static DeviceHandling handling(Topology topology, PassthroughSpec d, P2pPolicy policy, List<Step> source,
            List<Step> destination) {
        List<HandlingCase> cases = new ArrayList<>();
        for (Step s : concat(source, destination)) {
            if (!s.device().equals(d.address())) {
                continue;
            }
            for (MigrationState state : s.path()) {
                if (!state.acceptsInboundMmio() && !asked(cases, s.phase(), state)) {
                    ask(cases, topology, d, policy, s.phase(), state);
                }
            }
        }
        Map<String, Decision> stopped = worst(cases, ON_SOURCE);
        Map<String, Decision> resuming = worst(cases, ON_DESTINATION);
        return new DeviceHandling(d.address(), summary(topology, d, cases), stopped, resuming, cases);
    }

    private static boolean asked(List<HandlingCase> cases, MigrationPhase phase, MigrationState state) {
        return cases.stream().anyMatch(c -> c.phase() == phase && c.state() == state);
    }

    private static void ask(List<HandlingCase> cases, Topology topology, PassthroughSpec d, P2pPolicy policy,
            MigrationPhase phase, MigrationState state) {
        for (String sw : topology.softwareDevices()) {
            for (PciBar bar : d.bars()) {
                for (boolean write : new boolean[] {true, false}) {
                    cases.add(new HandlingCase(sw, bar.index(), phase, state, write,
                            decide(policy, sw, d, bar, write, state, phase)));
                }
            }
        }
    }

    private static Decision decide(P2pPolicy policy, String initiator, PassthroughSpec d, PciBar bar, boolean write,
            MigrationState state, MigrationPhase phase) {
        P2pAccess access = new P2pAccess(Initiator.softwareDevice(initiator), new PassthroughBar(d.address(),
                bar.index()), 0, PROBE_LENGTH, write, new byte[PROBE_LENGTH]);
        return Objects.requireNonNull(policy.decide(new P2pRequest(access, state, d.supportsP2p(), phase)),
                () -> "policy " + policy.name() + " decided null for " + access);
    }

    /** Most harmful first: touching a stopped device, losing data, cancelling the migration, queueing. */
    private static int harm(Decision d) {
        return switch (d) {
            case FORWARD -> 3;
            case FAIL -> 2;
            case ABORT_MIGRATION -> 1;
            case QUEUE -> 0;
        };
    }

    private static Map<String, Decision> worst(List<HandlingCase> cases, Predicate<HandlingCase> which) {
        Map<String, Decision> out = new LinkedHashMap<>();
        for (HandlingCase c : cases) {
            if (which.test(c)) {
                String key = c.write() ? DeviceHandling.WRITE : DeviceHandling.READ;
                Decision old = out.get(key);
                Decision worse = harmOf(c) > (old == null ? -1 : harm(old)) ? c.decision() : old;
                out.put(key, worse);
            }
        }
        return out;
    }

    private static int harmOf(HandlingCase c) {
        return !c.write() && c.decision() == Decision.QUEUE ? harm(Decision.FORWARD) : harm(c.decision());
    }

    /**
     * What {@code decision} means for an access to a device that cannot accept it, in plain words.
     *
     * @param write whether the access is a write (a read cannot be queued)
     */
    public static String words(Decision decision, boolean write) {
        return switch (decision) {
            case FORWARD -> "would be refused (policy bug)";
            case FAIL -> "lost: writes dropped, reads all-ones (master abort)";
            case QUEUE -> write
                    ? "queued and replayed exactly once when it runs again (carried to the destination if the "
                            + "migration completes)"
                    : "would be refused (policy bug: a read cannot be queued)";
            case ABORT_MIGRATION -> "cancels the migration; the access completes once the device runs again";
        };
    }

    private static String summary(Topology topology, PassthroughSpec d, List<HandlingCase> cases) {
        if (topology.softwareDevices().isEmpty()) {
            return d.label() + " lacks P2P, but no software device can DMA into its BARs: nothing to decide";
        }
        return d.label() + " lacks P2P, so it stops while the others run. While it is stopped on the source ("
                + states(cases, ON_SOURCE) + "): " + accesses(cases, ON_SOURCE) + ". While it resumes on the "
                + "destination (" + states(cases, ON_DESTINATION) + "): " + accesses(cases, ON_DESTINATION) + ".";
    }

    /** The reason line for a device without P2P: the same words as its {@link #summary}, source and destination. */
    private static String reason(PassthroughSpec d, String software, List<HandlingCase> cases) {
        String stopped = accesses(cases, ON_SOURCE);
        String resuming = accesses(cases, ON_DESTINATION);
        return d.label() + " lacks P2P: DMA from " + software + " into its BARs while it is stopped "
                + (stopped.equals(resuming) ? "(or resuming on the destination): " + stopped
                : "on the source: " + stopped + "; while it resumes on the destination: " + resuming);
    }

    private static String states(List<HandlingCase> cases, Predicate<HandlingCase> which) {
        Set<String> states = new LinkedHashSet<>();
        cases.stream().filter(which).forEach(c -> states.add(c.state().name()));
        return String.join(", ", states);
    }

    /**
     * What the policy does with the accesses of {@code which} cases, {@code write -> ... | read -> ...}: the one
     * place a device's decision table becomes words, for both its reason line and its summary.
     */
    private static String accesses(List<HandlingCase> cases, Predicate<HandlingCase> which) {
        StringBuilder sb = new StringBuilder("write -> ");
        direction(sb, cases, which.and(HandlingCase::write), true);
        sb.append(" | read -> ");
        direction(sb, cases, which.and(c -> !c.write()), false);
        return sb.toString();
    }

    /** The words for each distinct decision, with who and when when they differ. */
    private static void direction(StringBuilder sb, List<HandlingCase> cases, Predicate<HandlingCase> which,
            boolean write) {
        Map<Decision, Set<String>> who = new LinkedHashMap<>();
        Map<Decision, Set<String>> when = new LinkedHashMap<>();
        for (HandlingCase c : cases) {
            if (which.test(c)) {
                who.computeIfAbsent(c.decision(), k -> new LinkedHashSet<>()).add(c.initiator() + " to BAR " + c.bar());
                when.computeIfAbsent(c.decision(), k -> new LinkedHashSet<>()).add(c.state().name());
            }
        }
        String sep = "";
        for (Map.Entry<Decision, Set<String>> e : who.entrySet()) {
            sb.append(sep).append(words(e.getKey(), write));
            if (who.size() > 1) {
                sb.append(" (").append(String.join(", ", e.getValue())).append(" in ")
                        .append(String.join(", ", when.get(e.getKey()))).append(')');
            }
            sep = ", or ";
        }
    }

    // ---------------------------------------------------------------- reasons

    private static List<String> risks(Topology topology, String policyName, P2pPolicy policy,
            List<DeviceHandling> handling, QemuVerdict qemu) {
        List<String> reasons = new ArrayList<>();
        List<PassthroughSpec> devices = topology.migratable();
        String software = String.join(" or ", topology.softwareDevices());
        if (devices.isEmpty()) {
            reasons.add("no passthrough device: nothing to order");
        } else if (count(devices, d -> !d.supportsP2p()) == 0) {
            reasons.add(devices.size() == 1
                    ? devices.get(0).label() + " supports P2P and is the only passthrough device"
                    : "all " + devices.size() + " passthrough devices support P2P: none of them initiates DMA once "
                            + "any device stops, and each accepts DMA until it stops itself");
        }
        for (DeviceHandling h : handling) {
            PassthroughSpec d = topology.device(h.device()).orElseThrow();
            if (topology.softwareDevices().isEmpty()) {
                reasons.add(d.label() + " lacks P2P, but no software device can DMA into its BARs");
                continue;
            }
            reasons.add(reason(d, software, h.cases()));
        }
        for (PassthroughSpec d : devices) {
            List<String> failed = new ArrayList<>();
            for (String sw : topology.softwareDevices()) {
                List<String> which = new ArrayList<>();
                for (PciBar bar : d.bars()) {
                    for (boolean write : new boolean[] {true, false}) {
                        if (decide(policy, sw, d, bar, write, MigrationState.RUNNING, MigrationPhase.NONE)
                                == Decision.FAIL) {
                            which.add("BAR " + bar.index() + (write ? " writes" : " reads"));
                        }
                    }
                }
                if (which.size() == 2 * d.bars().size()) {
                    failed.add(sw);
                } else if (!which.isEmpty()) {
                    failed.add(sw + " (" + String.join(", ", which) + ")");
                }
            }
            if (!failed.isEmpty()) {
                reasons.add(d.label() + ": even while it runs, " + policyName + " fails DMA into its BARs from "
                        + String.join(" and ", failed) + ": " + words(Decision.FAIL, true));
            }
        }
        if (topology.softwareDevices().isEmpty()) {
            reasons.add("no software device: only the vCPUs reach the BARs, and passthrough devices' DMA never "
                    + "maps a BAR (their IOMMU mappings hold RAM only)");
        }
        if (!qemu.allowed()) {
            reasons.add("QEMU 8.2 alone would block this configuration: \"" + qemu.message() + "\"; with "
                    + policyName + " the mediator decides the DMA that rule guards against");
        }
        return reasons;
    }

    private static List<Step> concat(List<Step> a, List<Step> b) {
        List<Step> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static long count(List<PassthroughSpec> devices, Predicate<PassthroughSpec> which) {
        return devices.stream().filter(which).count();
    }

    private static String labels(List<PassthroughSpec> devices, Predicate<PassthroughSpec> which) {
        return String.join(", ", devices.stream().filter(which).map(PassthroughSpec::label).toList());
    }
}
