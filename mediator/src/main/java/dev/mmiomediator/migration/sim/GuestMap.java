package dev.mmiomediator.migration.sim;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.pci.PciBar;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a {@link SimulatedVm}'s guest RAM and passthrough BARs sit in its guest physical address space
 * ({@code memory}): either the planner's invented layout ({@link #planned}) or a real VM's map, as read from its
 * {@code info mtree} dump. RAM is given as pieces of named RAM regions mapped at guest addresses, as QEMU maps
 * {@code pc.ram} in two aliases below and above 4 GiB; the simulated VM backs each region sparsely, so a 64 GiB
 * guest costs only the pages written.
 *
 * <p>A BAR of the topology that the map does not place is not reachable by DMA (an I/O-space BAR: port I/O is
 * not in {@code memory}); the simulated VM keeps it in its device but maps it nowhere, and no software device
 * targets it.
 *
 * @param ram  the RAM pieces, at least one; they must not overlap each other or a BAR
 * @param bars where each BAR that is in {@code memory} starts
 */
public record GuestMap(List<RamPiece> ram, Map<PassthroughBar, Long> bars) {
    /**
     * {@code size} bytes of RAM region {@code region}, from {@code offset} in the region, mapped at guest address
     * {@code address}.
     */
    public record RamPiece(String region, long address, long offset, long size) {
        /** @throws IllegalArgumentException naming the piece if it is empty, negative or crosses 2^63 */
        public RamPiece {
            Objects.requireNonNull(region, "region");
            if (size <= 0 || address < 0 || offset < 0 || address + size < 0 || offset + size < 0) {
                throw new IllegalArgumentException("RAM piece " + region + " at " + Size.hex(address) + " (offset "
                        + Size.hex(offset) + ", " + size + " bytes): expected a non-empty piece below 2^63");
            }
        }

        /** The last guest address of the piece. */
        public long last() {
            return address + size - 1;
        }
    }

    /** @throws IllegalArgumentException naming the pieces or BARs that overlap */
    public GuestMap {
        ram = List.copyOf(ram);
        bars = Collections.unmodifiableMap(new LinkedHashMap<>(bars));
        if (ram.isEmpty()) {
            throw new IllegalArgumentException("a guest map without RAM, expected at least one RAM piece");
        }
        List<String> names = new ArrayList<>();
        List<long[]> extents = new ArrayList<>();
        ram.forEach(r -> {
            names.add(r.region() + " at " + Size.hex(r.address()));
            extents.add(new long[] {r.address(), r.last(), names.size() - 1});
        });
        bars.forEach((bar, at) -> {
            if (at < 0) {
                throw new IllegalArgumentException(bar + " at " + Size.hex(at) + ": expected below 2^63");
            }
            names.add(bar + " at " + Size.hex(at));
            extents.add(new long[] {at, at, names.size() - 1}); // its size is the topology's, checked there
        });
        extents.sort(Comparator.comparingLong(e -> e[0]));
        for (int i = 1; i < extents.size(); i++) {
            if (extents.get(i)[0] <= extents.get(i - 1)[1]) {
                throw new IllegalArgumentException("guest map: " + names.get((int) extents.get(i - 1)[2]) + " and "
                        + names.get((int) extents.get(i)[2]) + " overlap, expected disjoint pieces");
            }
        }
    }

    /**
     * The planner's layout for {@code topology}: one RAM region {@value SimulatedVm#RAM_REGION} of
     * {@link SimulatedVm#ramSize} bytes at 0, the BARs from {@value SimulatedVm#BAR_BASE} upward, each aligned to
     * the next power of two of its size, in topology order.
     */
    public static GuestMap planned(Topology topology) {
        Map<PassthroughBar, Long> bars = new LinkedHashMap<>();
        long next = SimulatedVm.BAR_BASE;
        for (PassthroughSpec spec : topology.passthrough()) {
            for (PciBar bar : spec.bars()) {
                long align = Long.highestOneBit(bar.size());
                align = align == bar.size() ? align : align << 1;
                next = (next + align - 1) & -align;
                bars.put(new PassthroughBar(spec.address(), bar.index()), next);
                next += bar.size();
            }
        }
        return new GuestMap(List.of(new RamPiece(SimulatedVm.RAM_REGION, 0, 0, SimulatedVm.ramSize(topology))),
                bars);
    }

    /** Each RAM region's size: the end of its furthest piece, in the order the regions first appear. */
    public Map<String, Long> ramRegions() {
        Map<String, Long> out = new LinkedHashMap<>();
        ram.forEach(r -> out.merge(r.region(), r.offset() + r.size(), Math::max));
        return out;
    }

    /** The total guest RAM mapped, in bytes. */
    public long ramBytes() {
        return ram.stream().mapToLong(RamPiece::size).sum();
    }

    /** The largest RAM piece (the first of equals): where the simulated software devices do their RAM DMA. */
    public RamPiece largestRamPiece() {
        RamPiece best = ram.get(0);
        for (RamPiece r : ram) {
            if (r.size() > best.size()) {
                best = r;
            }
        }
        return best;
    }
}
