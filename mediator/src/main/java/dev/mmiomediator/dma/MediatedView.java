package dev.mmiomediator.dma;

import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.UnsignedKeys;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable dispatch index over one initiator class's view of an address space: sorted, disjoint
 * {@link Section}s and a binary search over their starts. The vCPU view is the flat view; every other view
 * has each range of a passthrough BAR (anywhere in the BAR's subtree) replaced by a P2P section.
 *
 * <p>Thread-safe (immutable). {@link #indexOf(long)} never allocates, locks or throws.
 */
public final class MediatedView {
    private static final MediatedView EMPTY = new MediatedView(new Section[0], false);

    private final Section[] sections;
    private final long[] keys;   // UnsignedKeys.key of each section's start
    private final boolean vcpu;

    private MediatedView(Section[] sections, boolean vcpu) {
        this.sections = sections;
        this.vcpu = vcpu;
        this.keys = new long[sections.length];
        for (int i = 0; i < sections.length; i++) {
            keys[i] = UnsignedKeys.key(sections[i].start);
        }
    }

    /** A view with no section. */
    public static MediatedView empty() {
        return EMPTY;
    }

    /**
     * Builds the view of {@code flat} for the vCPU ({@code vcpu}) or for every other initiator.
     *
     * @param ramOnly for non-vCPU views: device MMIO (not only BARs) becomes {@link Section.Kind#FAULT}
     */
    public static MediatedView build(FlatView flat, boolean vcpu, boolean ramOnly) {
        List<Section> out = new ArrayList<>(flat.size());
        for (FlatRange r : flat.ranges()) {
            Section s = section(r, vcpu, ramOnly);
            if (!out.isEmpty() && out.get(out.size() - 1).canMerge(s)) {
                Section p = out.get(out.size() - 1);
                out.set(out.size() - 1, new Section(p.start, s.last, p.kind, p.region, p.regionDelta, p.readOnly,
                        null, p.bar, p.barDelta));
            } else {
                out.add(s);
            }
        }
        return new MediatedView(out.toArray(new Section[0]), vcpu);
    }

    private static Section section(FlatRange r, boolean vcpu, boolean ramOnly) {
        MemoryRegion leaf = r.region();
        long regionDelta = r.offsetInRegion() - r.start();
        if (!vcpu) {
            // the BAR tag covers the BAR's whole subtree: walk up from the leaf
            long offsetInBar = r.offsetInRegion();
            for (MemoryRegion x = leaf; x != null; x = x.container()) {
                PassthroughBar bar = x.passthroughBar();
                if (bar != null) {
                    return new Section(r.start(), r.last(), Section.Kind.P2P, leaf, regionDelta, r.readOnly(),
                            null, bar, offsetInBar - r.start());
                }
                offsetInBar += x.address();
            }
        }
        Section.Kind kind;
        if (leaf.kind() == RegionKind.MMIO || (leaf.kind() == RegionKind.ROM_DEVICE && !r.romdMode())) {
            kind = ramOnly && !vcpu ? Section.Kind.FAULT : Section.Kind.MMIO;
        } else if (leaf.kind() == RegionKind.ROM_DEVICE) {
            kind = ramOnly && !vcpu ? Section.Kind.FAULT : Section.Kind.ROMD;
        } else {
            kind = Section.Kind.RAM;
        }
        // accesses fetch the backing from the region each time (a backing set later is used at once); a region too
        // large for any backing faults rather than making the commit that renders it throw
        if ((kind == Section.Kind.RAM || kind == Section.Kind.ROMD) && !leaf.canHaveRamBacking()) {
            kind = Section.Kind.FAULT;
        }
        boolean readOnly = r.readOnly() || leaf.kind() == RegionKind.ROM;
        return new Section(r.start(), r.last(), kind, leaf, regionDelta, readOnly, leaf.ops(), null, 0);
    }

    /** Whether this is a vCPU view (BARs reachable directly). */
    public boolean isVcpuView() {
        return vcpu;
    }

    /** The number of sections. */
    public int size() {
        return sections.length;
    }

    /** The section at {@code index}. */
    public Section section(int index) {
        return sections[index];
    }

    /** The sections, in address order. */
    public List<Section> sections() {
        return List.of(sections);
    }

    /** The index of the section containing {@code address}, or -1. O(log n); never allocates. */
    public int indexOf(long address) {
        int i = UnsignedKeys.floor(keys, address);
        return i >= 0 && Long.compareUnsigned(address, sections[i].last) <= 0 ? i : -1;
    }

    /**
     * The first address at or after {@code address} that some section covers, or 0 if none does (the caller
     * knows 0 cannot follow {@code address}).
     */
    long nextStart(long address) {
        int next = UnsignedKeys.ceiling(keys, address);
        return next < sections.length ? sections[next].start : 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(vcpu ? "MediatedView(vcpu)" : "MediatedView(devices)");
        for (Section s : sections) {
            sb.append("\n  ").append(s);
        }
        return sb.toString();
    }
}
