package dev.mmiomediator.migration.plan;

import java.util.List;
import java.util.Objects;

/**
 * What QEMU 8.2's own rules decide for a topology, whatever policy we use. QEMU adds a migration blocker for each
 * VFIO device without migration support, and one more when more than one device with migration support is present
 * and not all of them have P2P. Immutable and thread-safe.
 *
 * @param allowed  whether QEMU would migrate the VM
 * @param message  QEMU's blockers verbatim, joined by {@code "; "}, or {@code "allowed: ..."} saying why not blocked
 * @param blockers QEMU's blocker messages, verbatim, in the order it adds them; empty when allowed
 */
public record QemuVerdict(boolean allowed, String message, List<String> blockers) {
    /** QEMU 8.2's blocker for several devices not all with P2P ({@code hw/vfio/migration.c}), verbatim. */
    public static final String MULTIPLE_DEVICES_MESSAGE =
            "Multiple VFIO devices migration is supported only if all of them support P2P migration";

    /** Checks that a blocked verdict has blockers and copies them. */
    public QemuVerdict {
        Objects.requireNonNull(message, "message");
        blockers = List.copyOf(blockers);
        if (allowed != blockers.isEmpty()) {
            throw new IllegalArgumentException("QEMU verdict allowed=" + allowed + " with blockers " + blockers);
        }
    }

    /** An allowed verdict with {@code message}, or a blocked one with {@code message} as its only blocker. */
    public QemuVerdict(boolean allowed, String message) {
        this(allowed, message, allowed ? List.of() : List.of(message));
    }

    /**
     * QEMU 8.2's decision for {@code topology}: per device without STOP_COPY, {@code vfio_migration_realize()}'s
     * blocker (no migration feature at all: "VFIO migration is not supported in kernel"; flags without STOP_COPY:
     * "Migration couldn't be initialized ... err: -95"); then {@link #MULTIPLE_DEVICES_MESSAGE} if more than one
     * device has migration support and one of them lacks P2P (QEMU counts only devices with migration support).
     */
    public static QemuVerdict of(Topology topology) {
        List<String> blockers = new java.util.ArrayList<>();
        for (PassthroughSpec p : topology.passthrough()) {
            if (!p.migratable()) {
                blockers.add(p.declaredFlags().isEmpty()
                        ? p.address() + ": VFIO migration is not supported in kernel"
                        : p.address() + ": Migration couldn't be initialized for VFIO device, err: -95 "
                                + "(Operation not supported)");
            }
        }
        List<PassthroughSpec> migratable = topology.migratable();
        if (migratable.size() > 1 && !migratable.stream().allMatch(PassthroughSpec::supportsP2p)) {
            blockers.add(MULTIPLE_DEVICES_MESSAGE);
        }
        if (!blockers.isEmpty()) {
            return new QemuVerdict(false, String.join("; ", blockers), blockers);
        }
        String why = switch (migratable.size()) {
            case 0 -> "allowed: no VFIO device";
            case 1 -> "allowed: a single VFIO device needs no P2P";
            default -> "allowed: all " + migratable.size() + " VFIO devices support P2P migration";
        };
        return new QemuVerdict(true, why, List.of());
    }
}
