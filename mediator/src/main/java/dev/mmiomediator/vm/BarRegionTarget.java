package dev.mmiomediator.vm;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.policy.P2pTarget;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The default {@link P2pTarget} of a {@link MediatedVm}: a forwarded P2P access goes to the BAR's own region, the
 * one the vCPU reaches. Its memory (the RAM or ram-device backing of the BAR, or of its {@code mmaps[n]}
 * subregions) is read and written directly, and its MMIO ops (quirks, the MSI-X table) are called with their valid
 * access sizes, exactly as for a vCPU access at that offset of the BAR. So a value a peer writes is the value the
 * vCPU reads back, and the reverse.
 *
 * <p>Where the BAR's region holds nothing (a container with a hole) a read gives zeros and a write is dropped, as
 * for the vCPU. An access whose dispatch reports {@link MemTxResult#ERROR} (an MMIO model threw) or
 * {@link MemTxResult#ACCESS_ERROR} throws, and the engine master-aborts it with {@code ERROR|P2P_FAILED}.
 *
 * <p><b>Note:</b> thread-safe. Each BAR region is shown through an alias at a fixed address of its own
 * {@link dev.mmiomediator.memory.AddressSpace} (named {@code "<BAR region> (P2P target)"}), so an offset in the
 * BAR stays one wherever the guest moves the BAR; the space is re-rendered with the system's other address spaces when a
 * transaction commits; each thread that forwards accesses gets a vCPU {@link DmaPort} of its own on it (kept in a
 * thread-local, made at its first access), since ports belong to one thread and the engine calls a target from any
 * thread.
 */
public final class BarRegionTarget implements P2pTarget {
    private final PciAddress device;
    private final Map<Integer, Mediator> bars;
    private final Map<Integer, MemoryRegion> regions;
    /** Per BAR, each forwarding thread's own port: a forwarded access allocates no port. */
    private final Map<Integer, ThreadLocal<DmaPort>> ports = new TreeMap<>();

    private BarRegionTarget(PciAddress device, Map<Integer, Mediator> bars, Map<Integer, MemoryRegion> regions) {
        this.device = device;
        this.bars = bars;
        this.regions = regions;
        bars.forEach((index, m) -> ports.put(index, ThreadLocal.withInitial(() -> m.port(Initiator.vcpu()))));
    }

    /**
     * The target of {@code device}'s BARs {@code regions}, by BAR index; adds one address space per BAR to the
     * regions' {@link MemorySystem}.
     *
     * @throws IllegalArgumentException if no region is given, or naming it if a region is empty or larger than
     *                                  2^63 bytes (a BAR is a power of two below 2^64)
     */
    public static BarRegionTarget of(PciAddress device, Map<Integer, MemoryRegion> regions) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(regions, "BAR regions of " + device);
        if (regions.isEmpty()) {
            throw new IllegalArgumentException(device + ": no BAR regions given, expected at least one");
        }
        Map<Integer, Mediator> bars = new TreeMap<>();
        Map<Integer, MemoryRegion> sorted = new TreeMap<>();
        regions.forEach((index, region) -> {
            Objects.requireNonNull(region, "region of " + device + " BAR " + index);
            Size size = region.size();
            if (size.isFull() || size.isZero() || Long.compareUnsigned(size.bytes(), 1L << 63) > 0) {
                throw new IllegalArgumentException("region '" + region.name() + "' of " + region.size() + " for "
                        + device + " BAR " + index + ": expected 1 byte to 2^63 bytes, as a BAR");
            }
            MemorySystem sys = region.system();
            // An alias of the BAR at a fixed address, so an offset is one wherever the guest maps the BAR; not at 0,
            // where the flat-view root would descend through container and alias to the BAR at its guest address.
            String name = region.name() + " (P2P target)";
            MemoryRegion root = sys.container(name, Size.FULL);
            root.addSubregion(sys.alias(name + " window", region, 0, region.size()), window(region));
            bars.put(index, new Mediator(sys.addressSpace(name, root)));
            sorted.put(index, region);
        });
        return new BarRegionTarget(device, Collections.unmodifiableMap(bars),
                Collections.unmodifiableMap(sorted));
    }

    /** The BAR regions accessed, by BAR index in ascending order. */
    public Map<Integer, MemoryRegion> regions() {
        return regions;
    }

    /** Where BAR {@code region} starts in its own space: its size, nonzero and at most 2^63, so it all fits. */
    private static long window(MemoryRegion region) {
        return region.size().bytes();
    }

    @Override
    public void read(int bar, long offset, byte[] dst, int length) {
        check(bar, offset, length, "read", port(bar).read(window(regions.get(bar)) + offset, dst, 0, length));
    }

    @Override
    public void write(int bar, long offset, byte[] src, int length) {
        check(bar, offset, length, "write", port(bar).write(window(regions.get(bar)) + offset, src, 0, length));
    }

    /** Removes the address spaces this target added (a build that is refused undoes its targets). */
    void close() {
        bars.values().forEach(m -> m.space().system().removeAddressSpace(m.space()));
    }

    private DmaPort port(int bar) {
        ThreadLocal<DmaPort> port = ports.get(bar);
        if (port == null) {
            throw new IllegalArgumentException(device + " BAR " + bar + " has no region in this target (BARs: "
                    + bars.keySet() + ")");
        }
        return port.get();
    }

    private void check(int bar, long offset, int length, String what, int result) {
        if ((result & (MemTxResult.ERROR | MemTxResult.ACCESS_ERROR)) != 0) {
            throw new IllegalStateException(what + " " + device + " BAR " + bar + "+0x" + Long.toHexString(offset)
                    + "/" + length + " in '" + regions.get(bar).name() + "': " + MemTxResult.describe(result));
        }
    }

    @Override
    public String toString() {
        return "BAR regions of " + device + " " + regions.keySet();
    }
}
