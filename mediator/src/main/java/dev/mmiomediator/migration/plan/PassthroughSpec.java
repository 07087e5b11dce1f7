package dev.mmiomediator.migration.plan;

import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A passthrough device of a topology.
 *
 * <p>A device whose declared flags lack the mandatory STOP_COPY has no VFIO migration support: the kernel offers
 * it no migration state, so {@link #flags()} is {@code null} and {@link #declaredFlags()} holds what was declared.
 * Test {@link #migratable()} before using {@link #flags()}. Immutable and thread-safe.
 *
 * @param name          a short name for people, e.g. {@code nic}, unique in its topology
 * @param address       the PCI function
 * @param flags         the migration flags, or {@code null} when the device is not {@linkplain #migratable()
 *                      migratable}
 * @param bars          the memory BARs, by increasing index, at least one
 * @param declaredFlags the flags as declared (equal to {@code flags.flags()} for a migratable device)
 */
public record PassthroughSpec(String name, PciAddress address, MigrationFlags flags, List<PciBar> bars,
                              Set<MigrationFlag> declaredFlags) {
    /**
     * Checks the fields and copies the collections.
     *
     * @throws IllegalArgumentException if the name is empty, there is no BAR, a BAR index repeats, or the flags and
     *                                  the declared flags disagree
     */
    public PassthroughSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("passthrough device " + address + ": empty name");
        }
        bars = List.copyOf(bars);
        if (bars.isEmpty()) {
            throw new IllegalArgumentException("passthrough device " + name + " " + address
                    + ": no BAR, expected at least one memory BAR");
        }
        if (bars.stream().map(PciBar::index).distinct().count() != bars.size()) {
            throw new IllegalArgumentException("passthrough device " + name + " " + address + ": BARs " + bars
                    + " repeat an index");
        }
        EnumSet<MigrationFlag> declared = EnumSet.noneOf(MigrationFlag.class);
        declared.addAll(declaredFlags);
        if (flags != null ? !flags.flags().equals(declared) : declared.contains(MigrationFlag.STOP_COPY)) {
            throw new IllegalArgumentException("passthrough device " + name + " " + address + ": flags " + flags
                    + " disagree with the declared flags " + declared);
        }
        declaredFlags = Collections.unmodifiableSet(declared);
    }

    /** A migratable device: {@code flags} has STOP_COPY, as every {@link MigrationFlags} has. */
    public PassthroughSpec(String name, PciAddress address, MigrationFlags flags, List<PciBar> bars) {
        this(name, address, Objects.requireNonNull(flags, "flags"), bars, flags.flags());
    }

    /**
     * A device without VFIO migration support: {@code declared} lacks STOP_COPY (it may be empty).
     *
     * @throws IllegalArgumentException if {@code declared} holds STOP_COPY
     */
    public static PassthroughSpec withoutMigration(String name, PciAddress address, Set<MigrationFlag> declared,
            List<PciBar> bars) {
        return new PassthroughSpec(name, address, null, bars, declared);
    }

    /**
     * The device as its flags declare it: migratable where {@code declared} holds STOP_COPY, else
     * {@link #withoutMigration}.
     */
    public static PassthroughSpec declared(String name, PciAddress address, Set<MigrationFlag> declared,
            List<PciBar> bars) {
        return declared.contains(MigrationFlag.STOP_COPY)
                ? new PassthroughSpec(name, address, MigrationFlags.fromBits(MigrationFlag.bits(declared)), bars)
                : withoutMigration(name, address, declared, bars);
    }

    /** Whether the device supports VFIO migration at all (its flags hold the mandatory STOP_COPY). */
    public boolean migratable() {
        return flags != null;
    }

    /** Whether the device is migratable and implements the P2P states (RUNNING_P2P). */
    public boolean supportsP2p() {
        return flags != null && flags.has(MigrationFlag.P2P);
    }

    /** The declared flags as the topology file writes them: {@code STOP_COPY,P2P}, or {@code none}. */
    public String flagsText() {
        if (declaredFlags.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (MigrationFlag f : declaredFlags) {
            sb.append(sb.length() == 0 ? "" : ",").append(f.name());
        }
        return sb.toString();
    }

    /** {@code ADDRESS (NAME)}, the way plans name a device. */
    public String label() {
        return address + " (" + name + ")";
    }
}
