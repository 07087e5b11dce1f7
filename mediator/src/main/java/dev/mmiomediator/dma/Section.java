package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;

import java.util.Objects;

/**
 * One range of a {@link MediatedView}: the inclusive addresses {@code [start, last]} and what answers them.
 * Immutable.
 */
public final class Section {
    /** What answers a section. */
    public enum Kind {
        /** Memory: RAM, ROM (writes ignored), ram device. */
        RAM,
        /** A ROM device in ROMD mode: reads from memory, writes to its ops. */
        ROMD,
        /** Device registers: accesses go to the region's ops, split to its valid sizes. */
        MMIO,
        /** A passthrough BAR seen by a non-vCPU initiator: accesses go to the P2P handler. */
        P2P,
        /**
         * Device MMIO in RAM-only mode, for non-vCPU initiators; or, for every initiator, a RAM-like region that
         * cannot have memory (over 2^62 bytes and given no backing): reads all-ones, writes dropped, ACCESS_ERROR.
         */
        FAULT
    }

    final long start;
    final long last;
    final Kind kind;
    final MemoryRegion region;
    /** offset in region = address + regionDelta. */
    final long regionDelta;
    final boolean readOnly;
    final MemoryRegionOps ops;
    final PassthroughBar bar;
    /** offset in BAR = address + barDelta. */
    final long barDelta;

    Section(long start, long last, Kind kind, MemoryRegion region, long regionDelta, boolean readOnly,
            MemoryRegionOps ops, PassthroughBar bar, long barDelta) {
        this.start = start;
        this.last = last;
        this.kind = kind;
        this.region = region;
        this.regionDelta = regionDelta;
        this.readOnly = readOnly;
        this.ops = ops;
        this.bar = bar;
        this.barDelta = barDelta;
    }

    /** First address. */
    public long start() {
        return start;
    }

    /** Last address (inclusive). */
    public long last() {
        return last;
    }

    /** What answers the section. */
    public Kind kind() {
        return kind;
    }

    /** The leaf region behind it (for a P2P section, the leaf at its start). */
    public MemoryRegion region() {
        return region;
    }

    /** Where {@code address} falls in {@link #region()}. */
    public long offsetInRegion(long address) {
        return address + regionDelta;
    }

    /** Whether writes are ignored (ROM, read-only RAM). */
    public boolean readOnly() {
        return readOnly;
    }

    /** For a P2P section, the passthrough BAR; otherwise {@code null}. */
    public PassthroughBar bar() {
        return bar;
    }

    /** For a P2P section, where {@code address} falls in the BAR. */
    public long barOffset(long address) {
        return address + barDelta;
    }

    /** Whether {@code address} (unsigned) is in the section. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, last) <= 0;
    }

    boolean canMerge(Section next) {
        return kind == Kind.P2P && next.kind == Kind.P2P && last != -1L && last + 1 == next.start
                && bar.equals(next.bar) && barDelta == next.barDelta;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Section)) {
            return false;
        }
        Section s = (Section) o;
        return start == s.start && last == s.last && kind == s.kind && region == s.region && regionDelta == s.regionDelta
                && readOnly == s.readOnly && Objects.equals(bar, s.bar) && barDelta == s.barDelta;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(start) * 31 + Long.hashCode(last);
    }

    @Override
    public String toString() {
        String what = kind == Kind.P2P ? "P2P " + bar + " @" + Size.hex(start + barDelta)
                : kind + " " + region.name() + " @" + Size.hex(start + regionDelta);
        return Size.hex16(start) + "-" + Size.hex16(last) + " " + what + (readOnly ? " ro" : "");
    }
}
