package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A passthrough (VFIO) device declared in a {@link MemorySystem}: each of its BARs' regions is tagged as that
 * BAR ({@link MemoryRegion#setPassthroughBar}), so the region's whole subtree (QEMU's {@code mmaps[n]}, quirk
 * and MSI-X regions) becomes P2P space in every non-vCPU view of every {@link Mediator} of the system.
 *
 * <pre>{@code
 * MemoryRegion bar0 = sys.container("0000:01:00.0 BAR 0", Size.of(0x4000));
 * bar0.addSubregion(sys.ramDevice("0000:01:00.0 BAR 0 mmaps[0]", Size.of(0x4000)), 0);
 * pciHole.addSubregion(bar0, 0xfe000000L);
 * Passthrough nic = Passthrough.declare(PciAddress.parse("0000:01:00.0"), Map.of(0, bar0));
 * DmaPort dma = mediator.port(nic.initiator());   // the device's own DMA: its IOMMU view
 * }</pre>
 *
 * <p>The tag follows the regions that answer accesses, not the path to them: a BAR reached through an alias
 * is still P2P space, and an alias itself cannot be a BAR (tag the region it shows). Declaring checks
 * everything first and then tags all BARs in one transaction, so the views change once and never show half
 * a device.
 *
 * <p><b>Note:</b> thread-safe. Declaring and {@link #remove() removing} each run in one {@link MemorySystem#atomically}
 * (the check and the tagging see one topology); the object itself is immutable.
 */
public final class Passthrough {
    private final PciAddress device;
    private final Map<Integer, MemoryRegion> bars;

    private Passthrough(PciAddress device, Map<Integer, MemoryRegion> bars) {
        this.device = device;
        this.bars = bars;
    }

    /**
     * Declares {@code device} with the regions of its BARs, by BAR index; each index must be one of the device's
     * BARs and each region exactly that BAR's size.
     *
     * @throws IllegalArgumentException naming the device, BAR and region, if a BAR index is not one of the
     *         device's, a region's size differs from its BAR's, or any check of {@link #declare(PciAddress, Map)}
     *         fails; nothing is tagged then
     */
    public static Passthrough declare(PassthroughDevice device, Map<Integer, MemoryRegion> bars) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(bars, "BAR regions of " + device.address());
        for (Map.Entry<Integer, MemoryRegion> e : new TreeMap<>(checkEntries(device.address(), bars)).entrySet()) {
            int index = e.getKey();
            Optional<PciBar> bar = device.bar(index);
            if (bar.isEmpty()) {
                throw new IllegalArgumentException(device.address() + " has no BAR " + index + " (its BARs: "
                        + device.bars().stream().map(b -> String.valueOf(b.index())).collect(Collectors.joining(", "))
                        + ")");
            }
            Size size = e.getValue().size();
            if (size.isFull() || size.bytes() != bar.get().size()) {
                throw new IllegalArgumentException("region '" + e.getValue().name() + "' of " + size + " for "
                        + device.address() + " BAR " + index + ": expected the BAR's size " + Size.hex(bar.get().size()));
            }
        }
        return declare(device.address(), bars);
    }

    /**
     * Declares the device at {@code device} with the regions of its BARs, by BAR index (0 to 5). Declaring the
     * same regions as the same BARs again changes nothing.
     *
     * @throws IllegalArgumentException naming the device, BAR and region, if no BAR is given, an index is not
     *         0 to 5, a region is an alias, belongs to another memory system than the others, is given for two
     *         BARs, is already tagged as another BAR, or lies inside (or contains) a region tagged as another
     *         BAR; nothing is tagged then
     */
    public static Passthrough declare(PciAddress device, Map<Integer, MemoryRegion> bars) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(bars, "BAR regions of " + device);
        Map<Integer, MemoryRegion> sorted = new TreeMap<>(checkEntries(device, bars));
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException(device + ": no BAR regions given, expected at least one");
        }
        MemorySystem sys = sorted.values().iterator().next().system();
        Map<MemoryRegion, PassthroughBar> tags = new IdentityHashMap<>();
        for (Map.Entry<Integer, MemoryRegion> e : sorted.entrySet()) {
            PassthroughBar tag = new PassthroughBar(device, e.getKey()); // checks the index
            MemoryRegion r = e.getValue();
            if (r.system() != sys) {
                throw new IllegalArgumentException("region '" + r.name() + "' for " + tag + " belongs to another "
                        + "MemorySystem than the device's other BARs");
            }
            if (r.kind() == RegionKind.ALIAS) {
                throw new IllegalArgumentException("region '" + r.name() + "' for " + tag + " is an alias: tag the "
                        + "region it shows ('" + r.aliasTarget().name() + "'), the tag follows the regions that "
                        + "answer accesses");
            }
            PassthroughBar other = tags.put(r, tag);
            if (other != null) {
                throw new IllegalArgumentException("region '" + r.name() + "' given for both " + other + " and "
                        + tag + ": expected one region per BAR");
            }
        }
        sys.atomically(() -> {
            for (Map.Entry<MemoryRegion, PassthroughBar> e : tags.entrySet()) {
                checkFree(e.getKey(), e.getValue(), tags);
            }
            for (Map.Entry<MemoryRegion, PassthroughBar> e : tags.entrySet()) {
                e.getKey().setPassthroughBar(e.getValue());
            }
            return null;
        });
        return new Passthrough(device, Collections.unmodifiableMap(sorted));
    }

    private static Map<Integer, MemoryRegion> checkEntries(PciAddress device, Map<Integer, MemoryRegion> bars) {
        for (Map.Entry<Integer, MemoryRegion> e : bars.entrySet()) {
            Objects.requireNonNull(e.getKey(), "BAR index of " + device);
            Objects.requireNonNull(e.getValue(), "region of " + device + " BAR " + e.getKey());
        }
        return bars;
    }

    /**
     * Checks that {@code r} may become {@code tag}: not tagged as another BAR, and no region above it or below it
     * (through subregions) is tagged as a BAR other than the ones being declared with it.
     */
    private static void checkFree(MemoryRegion r, PassthroughBar tag, Map<MemoryRegion, PassthroughBar> declaring) {
        PassthroughBar own = r.passthroughBar();
        if (own != null && !own.equals(tag)) {
            throw new IllegalArgumentException("region '" + r.name() + "' for " + tag + " is already " + own
                    + ": a region is the BAR of at most one device");
        }
        for (MemoryRegion up = r.container(); up != null; up = up.container()) {
            PassthroughBar above = declaring.containsKey(up) ? declaring.get(up) : up.passthroughBar();
            if (above != null) {
                throw new IllegalArgumentException("region '" + r.name() + "' for " + tag + " lies inside '"
                        + up.name() + "', which is " + above + ": BARs do not nest");
            }
        }
        Deque<MemoryRegion> todo = new ArrayDeque<>(r.subregions());
        while (!todo.isEmpty()) {
            MemoryRegion down = todo.poll();
            PassthroughBar below = declaring.containsKey(down) ? declaring.get(down) : down.passthroughBar();
            if (below != null) {
                throw new IllegalArgumentException("region '" + r.name() + "' for " + tag + " contains '"
                        + down.name() + "', which is " + below + ": BARs do not nest");
            }
            todo.addAll(down.subregions());
        }
    }

    /** The device's PCI address. */
    public PciAddress device() {
        return device;
    }

    /** The initiator of the device's own DMA (through the IOMMU: it sees the non-vCPU view). */
    public Initiator initiator() {
        return Initiator.passthroughDevice(device);
    }

    /** The declared BAR regions, by BAR index in ascending order. */
    public Map<Integer, MemoryRegion> bars() {
        return bars;
    }

    /**
     * The region of BAR {@code index}.
     *
     * @throws IllegalArgumentException if that BAR was not declared
     */
    public MemoryRegion bar(int index) {
        MemoryRegion r = bars.get(index);
        if (r == null) {
            throw new IllegalArgumentException(device + " BAR " + index + " was not declared (declared: "
                    + bars.keySet() + ")");
        }
        return r;
    }

    /**
     * Clears the tags of the declared BARs, in one transaction: their ranges are ordinary regions again in every
     * view. A region whose tag was changed since is left alone.
     */
    public void remove() {
        MemorySystem sys = bars.values().iterator().next().system();
        sys.atomically(() -> {
            for (Map.Entry<Integer, MemoryRegion> e : bars.entrySet()) {
                if (new PassthroughBar(device, e.getKey()).equals(e.getValue().passthroughBar())) {
                    e.getValue().setPassthroughBar(null);
                }
            }
            return null;
        });
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Passthrough ").append(device);
        bars.forEach((i, r) -> sb.append(", BAR ").append(i).append(" '").append(r.name()).append('\''));
        return sb.toString();
    }
}
