package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a VM's passthrough (VFIO) BARs are exposed to today: where each BAR sits in the vCPU's address space,
 * and which DMA initiators' (non-vCPU) address spaces reach which BARs. A BAR is reachable from an address
 * space when some of the BAR's extent renders to the BAR's own regions (its subtree) in that space's flat view.
 * QEMU's bus-master address spaces alias the whole system memory, so without an IOMMU every PCI function
 * reaches every BAR; under mediation each of those ranges becomes a P2P section in the initiator's view.
 *
 * <p>Built from a tree dump (an {@link MtreeImport}, whose importer tagged the BARs) or from a flat dump (the
 * BARs and their extents inferred by {@link FlatDumpBars}; the {@code AS} lines say which address spaces share
 * each view).
 *
 * <p>Immutable and thread-safe once built.
 */
public final class PassthroughAudit {
    private static final Comparator<PassthroughBar> BAR_ORDER =
            Comparator.comparing((PassthroughBar b) -> b.device().toString()).thenComparingInt(PassthroughBar::bar);

    /**
     * Where a BAR sits: in a vCPU address space ({@code memory} preferred, then {@code I/O}, then the first other
     * vCPU space that shows it), or in a DMA initiator's space if no vCPU space shows it.
     *
     * @param bar          the passthrough BAR
     * @param addressSpace the address space the extent is given in, or {@code null} when the BAR renders in no
     *                     address space (a tree dump where it is disabled or hidden everywhere)
     * @param start        the first address of the BAR there (0 when not rendered)
     * @param last         the last address of the BAR there: the BAR's size in a tree dump, the end of its last
     *                     piece in a flat dump (0 when not rendered)
     * @param ranges       the number of flat-view ranges that render the BAR's subtree there
     */
    public record Placement(PassthroughBar bar, String addressSpace, long start, long last, int ranges) {
        /** Validates the extent. */
        public Placement {
            Objects.requireNonNull(bar, "bar");
            if (addressSpace != null && Long.compareUnsigned(start, last) > 0) {
                throw new IllegalArgumentException(bar + " in '" + addressSpace + "' at " + Size.hex(start) + "-"
                        + Size.hex(last) + ": expected start <= last");
            }
        }

        /** Whether the BAR renders in some address space. */
        public boolean mapped() {
            return addressSpace != null;
        }

        /** The extent's size (1 to 2<sup>64</sup>), or {@link Size#ZERO} when not mapped. */
        public Size size() {
            return mapped() ? Size.ofLast(last - start) : Size.ZERO;
        }
    }

    /**
     * A DMA initiator's (non-vCPU) address space and the BARs it reaches today.
     *
     * @param name      the address space's name (not unique: QEMU names a bus-master space after its device model)
     * @param reachable the BARs some of whose extent renders to the BAR in this space, by device then BAR index
     */
    public record DeviceSpace(String name, List<PassthroughBar> reachable) {
        public DeviceSpace {
            Objects.requireNonNull(name, "name");
            reachable = List.copyOf(reachable);
        }

        /** Whether this is a passthrough function's own bus-master space: see {@link #isPassthroughSpace}. */
        public boolean passthroughFunction() {
            return isPassthroughSpace(name);
        }
    }

    /**
     * The names QEMU gives a passthrough (VFIO) function's bus-master address space: a PCI function's space is named
     * after its device type ({@code pci_qdev_realize} registers it under {@code object_get_typename}).
     */
    public static final List<String> PASSTHROUGH_SPACES = List.of("vfio-pci", "vfio-pci-nohotplug");

    /**
     * Whether {@code addressSpace} is a passthrough function's own bus-master space. Its DMA is the function's:
     * hardware P2P through the IOMMU, which the kernel's P2P migration states govern, not a software device's DMA
     * that a VMM emulates; it is a DMA initiator all the same, and a BAR it reaches is an exposure.
     */
    public static boolean isPassthroughSpace(String addressSpace) {
        return PASSTHROUGH_SPACES.contains(addressSpace);
    }

    /**
     * One address space reaching one BAR.
     *
     * @param addressSpace the DMA initiator's address space
     * @param bar          the BAR it reaches
     */
    public record Exposure(String addressSpace, PassthroughBar bar) {
    }

    /**
     * One flat-view range of a BAR where the audit places it.
     *
     * @param start             the range's first address
     * @param last              its last address
     * @param region            the region it renders (a BAR piece such as {@code 0000:01:00.0 BAR 0 mmaps[0]}, or a
     *                          quirk or MSI-X region inside the BAR)
     * @param acceleratorMapped from a flat dump, whether the accelerator maps the range into guest memory (an
     *                          accelerator tag such as {@code KVM} follows it; a BAR range without one traps); from a
     *                          tree dump, {@code null}: a tree does not say
     */
    public record Piece(long start, long last, String region, Boolean acceleratorMapped) {
        public Piece {
            Objects.requireNonNull(region, "region");
        }
    }

    /**
     * A range of guest RAM in the {@value #GUEST_SPACE} address space: {@code [start, last]} shows region
     * {@code region} from {@code offset}.
     */
    public record RamRange(String region, long start, long last, long offset) {
        /** Validates the extent. */
        public RamRange {
            Objects.requireNonNull(region, "region");
            if (Long.compareUnsigned(start, last) > 0) {
                throw new IllegalArgumentException("RAM " + region + " at " + Size.hex(start) + "-" + Size.hex(last)
                        + ": expected start <= last");
            }
        }
    }

    /** The vCPUs' guest physical address space, where guest RAM is read from. */
    public static final String GUEST_SPACE = "memory";

    private final String source;
    private final boolean fromFlatDump;
    private final List<RamRange> ram;
    private final List<Placement> placements;
    private final List<DeviceSpace> deviceSpaces;
    private final List<String> vcpuSpaces;
    private final Map<PassthroughBar, List<Piece>> pieces;
    private final List<String> notes;

    private PassthroughAudit(String source, boolean fromFlatDump, List<Placement> placements,
                             List<DeviceSpace> deviceSpaces, List<String> vcpuSpaces, List<RamRange> ram,
                             Map<PassthroughBar, List<Piece>> pieces, List<String> notes) {
        this.source = source;
        this.fromFlatDump = fromFlatDump;
        this.ram = List.copyOf(ram);
        this.placements = List.copyOf(placements);
        this.deviceSpaces = List.copyOf(deviceSpaces);
        this.vcpuSpaces = List.copyOf(vcpuSpaces);
        Map<PassthroughBar, List<Piece>> copy = new LinkedHashMap<>();
        pieces.forEach((b, l) -> copy.put(b, List.copyOf(l)));
        this.pieces = java.util.Collections.unmodifiableMap(copy);
        this.notes = List.copyOf(notes);
    }

    /**
     * Audits an imported tree dump: the BARs are the regions its importer tagged; extents and reachability come
     * from each address space's flat view.
     */
    public static PassthroughAudit of(MtreeImport imp, VcpuSpaces vcpu) {
        Objects.requireNonNull(vcpu, "vcpu");
        Map<FlatView, Map<PassthroughBar, long[]>> perView = new IdentityHashMap<>();
        Map<PassthroughBar, Placement> best = new LinkedHashMap<>();
        Map<PassthroughBar, Integer> bestRank = new LinkedHashMap<>();
        List<DeviceSpace> devices = new ArrayList<>();
        List<String> vcpus = new ArrayList<>();
        Map<PassthroughBar, List<Piece>> pieces = new LinkedHashMap<>();
        List<RamRange> ram = new ArrayList<>();
        for (AddressSpace as : imp.addressSpaces()) {
            if (as.name().equals(GUEST_SPACE) && ram.isEmpty()) {
                for (FlatRange r : as.flatView().ranges()) {
                    if (r.region().kind() == RegionKind.RAM && !r.readOnly()) {
                        ram.add(new RamRange(r.region().name(), r.start(), r.last(), r.offsetInRegion()));
                    }
                }
            }
            Map<PassthroughBar, long[]> bars = perView.computeIfAbsent(as.flatView(), PassthroughAudit::barsIn);
            boolean isVcpu = vcpu.isVcpu(as.name());
            if (isVcpu) {
                vcpus.add(as.name());
            } else {
                devices.add(new DeviceSpace(as.name(), sorted(bars.keySet())));
            }
            bars.forEach((bar, e) -> {
                if (offer(best, bestRank, new Placement(bar, as.name(), e[0], e[1], (int) e[2]), isVcpu)) {
                    pieces.put(bar, piecesIn(as.flatView(), bar));
                }
            });
        }
        for (MtreeImport.TaggedBar t : imp.passthroughBars()) {
            best.putIfAbsent(t.passthroughBar(), new Placement(t.passthroughBar(), null, 0, 0, 0));
        }
        List<String> notes = new ArrayList<>();
        for (String n : imp.notes()) {
            if (n.contains(AliasTargets.UNKNOWN_NOTE)) {
                notes.add(n);
            }
        }
        return new PassthroughAudit(imp.source(), false, sortedPlacements(best), devices, vcpus, ram, pieces, notes);
    }

    /**
     * Audits a flat dump: the BARs and their extents are inferred per view from the range names (see
     * {@link FlatDumpBars}); each of a view's {@code AS} lines reaches every BAR found in that view.
     *
     * @throws MtreeFormatException naming the line of a BAR piece whose offset exceeds its start
     */
    public static PassthroughAudit of(FlatDump dump, VcpuSpaces vcpu) {
        Objects.requireNonNull(vcpu, "vcpu");
        Map<PassthroughBar, Placement> best = new LinkedHashMap<>();
        Map<PassthroughBar, Integer> bestRank = new LinkedHashMap<>();
        List<DeviceSpace> devices = new ArrayList<>();
        List<String> vcpus = new ArrayList<>();
        Map<PassthroughBar, List<Piece>> pieces = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>(dump.notes());
        List<RamRange> ram = new ArrayList<>();
        for (FlatDump.View v : dump.views()) {
            if (ram.isEmpty() && v.addressSpaces().stream().anyMatch(a -> a.name().equals(GUEST_SPACE))) {
                for (FlatDump.Range r : v.ranges()) {
                    if (r.type().equals("ram")) {
                        ram.add(new RamRange(r.name(), r.start(), r.last(), r.offset()));
                    }
                }
            }
        }
        for (FlatDumpBars.ViewBars vb : FlatDumpBars.find(dump)) {
            List<PassthroughBar> found = new ArrayList<>();
            vb.bars().forEach(b -> found.add(b.bar()));
            if (vb.view().headerless()) {
                notes.add(dump.source() + ":" + vb.view().line() + ": the flat view has no 'FlatView #n' and 'AS' lines: "
                        + "read as one unnamed address space, " + FlatDump.View.UNNAMED + "; which address spaces "
                        + "(vCPUs' or DMA initiators') render it is not known, so it is listed as neither and no DMA "
                        + "initiator is known to reach its BARs");
                for (FlatDumpBars.Bar b : vb.bars()) {
                    if (offer(best, bestRank, new Placement(b.bar(), FlatDump.View.UNNAMED, b.start(), b.last(),
                            b.ranges().size()), true)) {
                        pieces.put(b.bar(), piecesOf(b));
                    }
                }
                continue;
            }
            for (FlatDump.AsLine as : vb.view().addressSpaces()) {
                boolean isVcpu = vcpu.isVcpu(as.name());
                if (isVcpu) {
                    vcpus.add(as.name());
                } else {
                    devices.add(new DeviceSpace(as.name(), sorted(found)));
                }
                for (FlatDumpBars.Bar b : vb.bars()) {
                    if (offer(best, bestRank, new Placement(b.bar(), as.name(), b.start(), b.last(), b.ranges().size()),
                            isVcpu)) {
                        pieces.put(b.bar(), piecesOf(b));
                    }
                }
            }
        }
        return new PassthroughAudit(dump.source(), true, sortedPlacements(best), devices, vcpus, ram, pieces, notes);
    }

    private static List<Piece> piecesOf(FlatDumpBars.Bar bar) {
        List<Piece> out = new ArrayList<>();
        for (FlatDump.Range r : bar.ranges()) {
            out.add(new Piece(r.start(), r.last(), r.name(), r.acceleratorMapped()));
        }
        return out;
    }

    /** The ranges of {@code view} that render {@code bar}'s subtree. */
    private static List<Piece> piecesIn(FlatView view, PassthroughBar bar) {
        List<Piece> out = new ArrayList<>();
        for (FlatRange r : view.ranges()) {
            for (MemoryRegion x = r.region(); x != null; x = x.container()) {
                if (x.passthroughBar() != null) {
                    if (x.passthroughBar().equals(bar)) {
                        out.add(new Piece(r.start(), r.last(), r.region().name(), null));
                    }
                    break;
                }
            }
        }
        return out;
    }

    /** Per BAR whose subtree renders in {@code view}: its start, last address and number of ranges. */
    private static Map<PassthroughBar, long[]> barsIn(FlatView view) {
        Map<PassthroughBar, long[]> out = new LinkedHashMap<>();
        for (FlatRange r : view.ranges()) {
            long offsetInBar = r.offsetInRegion();
            for (MemoryRegion x = r.region(); x != null; x = x.container()) {
                PassthroughBar bar = x.passthroughBar();
                if (bar != null) {
                    long start = r.start() - offsetInBar;
                    long last = start + x.size().last();
                    if (Long.compareUnsigned(last, start) < 0) {
                        last = -1L; // a BAR placed across 2^64 is clipped there, as rendering clips it
                    }
                    long[] e = out.get(bar);
                    if (e == null) {
                        out.put(bar, new long[] {start, last, 1});
                    } else {
                        // the same BAR as several regions (pieces without their BAR region): their union
                        e[0] = Long.compareUnsigned(start, e[0]) < 0 ? start : e[0];
                        e[1] = Long.compareUnsigned(last, e[1]) > 0 ? last : e[1];
                        e[2]++;
                    }
                    break;
                }
                offsetInBar += x.address();
            }
        }
        return out;
    }

    private static int rank(String addressSpace, boolean isVcpu) {
        if (!isVcpu) {
            return 3;
        }
        return addressSpace.equals("memory") ? 0 : addressSpace.equals("I/O") ? 1 : 2;
    }

    /** Keeps {@code p} if it is the best placement of its BAR so far; returns whether it was kept. */
    private static boolean offer(Map<PassthroughBar, Placement> best, Map<PassthroughBar, Integer> bestRank,
                                 Placement p, boolean isVcpu) {
        int r = rank(p.addressSpace(), isVcpu);
        Integer old = bestRank.get(p.bar());
        if (old == null || r < old) {
            best.put(p.bar(), p);
            bestRank.put(p.bar(), r);
            return true;
        }
        return false;
    }

    private static List<PassthroughBar> sorted(java.util.Collection<PassthroughBar> bars) {
        List<PassthroughBar> out = new ArrayList<>(bars);
        out.sort(BAR_ORDER);
        return out;
    }

    private static List<Placement> sortedPlacements(Map<PassthroughBar, Placement> best) {
        List<Placement> out = new ArrayList<>(best.values());
        out.sort(Comparator.comparing(Placement::bar, BAR_ORDER));
        return out;
    }

    /** Where the dump came from. */
    public String source() {
        return source;
    }

    /** Whether the audit was made from a flat dump (extents inferred from BAR pieces) rather than a tree. */
    public boolean fromFlatDump() {
        return fromFlatDump;
    }

    /** Whether the dump has any passthrough BAR. */
    public boolean hasPassthrough() {
        return !placements.isEmpty();
    }

    /**
     * The guest RAM: the writable RAM ranges of the {@value #GUEST_SPACE} address space's flat view, in address
     * order (empty if the dump has no such space).
     */
    public List<RamRange> ram() {
        return ram;
    }

    /** One entry per passthrough BAR, by device then BAR index. */
    public List<Placement> placements() {
        return placements;
    }

    /** The passthrough functions, in address order. */
    public List<PciAddress> devices() {
        Set<PciAddress> out = new LinkedHashSet<>();
        placements.forEach(p -> out.add(p.bar().device()));
        return List.copyOf(out);
    }

    /** Every DMA initiator's (non-vCPU) address space of the dump, in the dump's order, with what it reaches. */
    public List<DeviceSpace> deviceSpaces() {
        return deviceSpaces;
    }

    /** The names of the dump's vCPU address spaces, in the dump's order. */
    public List<String> vcpuSpaces() {
        return vcpuSpaces;
    }

    /** One entry per DMA initiator's address space and BAR it reaches, in the dump's order, then by BAR. */
    public List<Exposure> exposures() {
        List<Exposure> out = new ArrayList<>();
        for (DeviceSpace d : deviceSpaces) {
            for (PassthroughBar b : d.reachable()) {
                out.add(new Exposure(d.name(), b));
            }
        }
        return out;
    }

    /**
     * The flat-view ranges of {@code bar} where {@link #placements()} places it, in address order; empty for a BAR
     * that renders nowhere or is not in the dump.
     */
    public List<Piece> pieces(PassthroughBar bar) {
        return pieces.getOrDefault(bar, List.of());
    }

    /**
     * What the reader of the audit must know about how it was made, one line each: a flat view read without its
     * header, alias targets the dump does not show (see {@link MtreeImporter}).
     */
    public List<String> notes() {
        return notes;
    }

    /** The BARs that no DMA initiator's address space reaches, by device then BAR index. */
    public List<PassthroughBar> unreachable() {
        Set<PassthroughBar> reached = new LinkedHashSet<>();
        deviceSpaces.forEach(d -> reached.addAll(d.reachable()));
        List<PassthroughBar> out = new ArrayList<>();
        for (Placement p : placements) {
            if (!reached.contains(p.bar())) {
                out.add(p.bar());
            }
        }
        return out;
    }
}
