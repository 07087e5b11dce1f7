package dev.mmiomediator.policy;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A matcher over {@link P2pRequest}s: a conjunction of small conditions (initiator, device, BAR, offset range,
 * direction, target state, phase). Start from a static factory and chain; every call returns a new rule, so
 * rules are immutable and thread-safe. A rule with no condition ({@link #any()}) matches everything.
 *
 * <pre>{@code
 * Rule.device("0000:01:00.0").bar(2).offsets(0x1000, 0x2000).writes().targetAccepts()
 * }</pre>
 */
public final class Rule {
    private static final Rule ANY = new Rule(List.of(), List.of());

    private final List<Predicate<P2pRequest>> conditions;
    private final List<String> descriptions;

    private Rule(List<Predicate<P2pRequest>> conditions, List<String> descriptions) {
        this.conditions = conditions;
        this.descriptions = descriptions;
    }

    /** The rule that matches every access. */
    public static Rule any() {
        return ANY;
    }

    /** Accesses to the device at {@code address}, e.g. {@code 0000:01:00.0}. */
    public static Rule device(String address) {
        return ANY.andDevice(PciAddress.parse(address));
    }

    /** Accesses by the initiator named {@code id} (e.g. {@code virtio-net}). */
    public static Rule initiator(String id) {
        return ANY.andInitiator(id);
    }

    /** Accesses by initiators of {@code kind}. */
    public static Rule initiatorKind(Initiator.Kind kind) {
        return ANY.andInitiatorKind(kind);
    }

    /** Also: the target is the device at {@code address}. */
    public Rule andDevice(PciAddress address) {
        Objects.requireNonNull(address, "device address");
        return with(r -> r.device().equals(address), "device " + address);
    }

    /** Also: the initiator is named {@code id}. */
    public Rule andInitiator(String id) {
        Objects.requireNonNull(id, "initiator id");
        return with(r -> r.access().initiator().id().equals(id), "initiator " + id);
    }

    /** Also: the initiator is of {@code kind}. */
    public Rule andInitiatorKind(Initiator.Kind kind) {
        Objects.requireNonNull(kind, "initiator kind");
        return with(r -> r.access().initiator().kind() == kind, "initiator kind " + kind);
    }

    /**
     * Also: the access is to BAR {@code index}.
     *
     * @throws IllegalArgumentException naming the index if it is not 0 to 5
     */
    public Rule bar(int index) {
        if (index < 0 || index > 5) {
            throw new IllegalArgumentException("BAR " + index + ": expected an index from 0 to 5");
        }
        return with(r -> r.bar() == index, "BAR " + index);
    }

    /**
     * Also: the access lies wholly in BAR offsets {@code [from, to)}.
     *
     * @throws IllegalArgumentException naming both values unless {@code 0 <= from < to}
     */
    public Rule offsets(long from, long to) {
        if (from < 0 || to <= from) {
            throw new IllegalArgumentException("BAR offset range [" + Size.hex(from) + ", " + Size.hex(to)
                    + "): expected 0 <= from < to");
        }
        return with(r -> r.access().barOffset() >= from && r.access().barOffset() + r.access().length() <= to,
                "offsets [" + Size.hex(from) + ", " + Size.hex(to) + ")");
    }

    /** Also: the access is a write (posted). */
    public Rule writes() {
        return with(P2pRequest::write, "writes");
    }

    /** Also: the access is a read (non-posted). */
    public Rule reads() {
        return with(r -> !r.write(), "reads");
    }

    /** Also: the target's state accepts inbound MMIO ({@link MigrationState#acceptsInboundMmio()}). */
    public Rule targetAccepts() {
        return with(P2pRequest::targetAccepts, "target accepts");
    }

    /** Also: the target's state does not accept inbound MMIO. */
    public Rule targetRefuses() {
        return with(r -> !r.targetAccepts(), "target refuses");
    }

    /**
     * Also: the target is in one of {@code states}.
     *
     * @throws IllegalArgumentException if no state is given
     */
    public Rule targetIn(MigrationState... states) {
        if (states.length == 0) {
            throw new IllegalArgumentException("targetIn(): expected at least one migration state");
        }
        Set<MigrationState> set = EnumSet.copyOf(Arrays.asList(states));
        return with(r -> set.contains(r.targetState()), "target in " + set);
    }

    /** Also: the target supports the P2P states. */
    public Rule targetSupportsP2p() {
        return with(P2pRequest::targetSupportsP2p, "target supports P2P");
    }

    /**
     * Also: the migration is in one of {@code phases}.
     *
     * @throws IllegalArgumentException if no phase is given
     */
    public Rule phase(MigrationPhase... phases) {
        if (phases.length == 0) {
            throw new IllegalArgumentException("phase(): expected at least one migration phase");
        }
        Set<MigrationPhase> set = EnumSet.copyOf(Arrays.asList(phases));
        return with(r -> set.contains(r.phase()), "phase in " + set);
    }

    /** Also: {@code condition}, described as {@code description} in {@link #toString()}. */
    public Rule and(Predicate<P2pRequest> condition, String description) {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(description, "description");
        return with(condition, description);
    }

    /** Whether every condition holds for {@code request}. */
    public boolean matches(P2pRequest request) {
        for (Predicate<P2pRequest> c : conditions) {
            if (!c.test(request)) {
                return false;
            }
        }
        return true;
    }

    private Rule with(Predicate<P2pRequest> condition, String description) {
        List<Predicate<P2pRequest>> c = new ArrayList<>(conditions);
        c.add(condition);
        List<String> d = new ArrayList<>(descriptions);
        d.add(description);
        return new Rule(List.copyOf(c), List.copyOf(d));
    }

    /** The conditions joined by {@code " and "}, or {@code any access}. */
    @Override
    public String toString() {
        return descriptions.isEmpty() ? "any access" : String.join(" and ", descriptions);
    }
}
