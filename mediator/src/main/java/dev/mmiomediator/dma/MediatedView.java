package dev.mmiomediator.dma;

import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.UnsignedKeys;

import java.util.Arrays;
import java.util.List;

/**
 * An immutable dispatch index over one initiator class's view of an address space: sorted, disjoint
 * {@link Section}s. The vCPU view is the flat view; every other view has each range of a passthrough BAR
 * (anywhere in the BAR's subtree) replaced by a P2P section.
 *
 * <p>Thread-safe (immutable). {@link #indexOf(long)} never allocates, locks or throws.
 *
 * <p>IMPLEMENTATION NOTES: the sections' starts and lasts live in one primitive array ({@link #bounds}: start and
 * last interleaved, as keys with the sign bit flipped), and a bucket table answers most lookups by itself. The span
 * from the first section's start to the last section's last is cut into buckets of a power-of-two width, at most
 * about one and a half per section, and each bucket where at most one section starts holds everything a lookup
 * needs, in four longs of {@link #entries} (one 32-byte line of the table): the index {@code i} of the last section
 * starting at or before the bucket's last address, that section's start and last and the last of section
 * {@code i - 1}. A lookup shifts the address into its bucket, loads the bucket's four longs (no load depends on
 * another), picks between the two candidates with one compare (compiled to conditional moves) and
 * checks the end: a miss is known from the table alone, with no dependent load, so the mispredicted branch of a
 * miss resolves early. Where several sections start in one bucket (clustered maps: RAM low, MMIO under 4 GiB,
 * 64-bit BARs far above) the bucket's index is negative and marks the bucket crowded: a branch-free binary search
 * between its floor sections over {@link #bounds} decides, so a lookup is never worse than a binary search over all
 * starts. Addresses outside the span miss at once. The table costs 32 bytes a bucket (at most 48 per
 * section: 3 MiB for 65,536 sections) and is built in one pass over the bounds with the view, before the view is
 * published.
 */
public final class MediatedView {
    private static final MediatedView EMPTY = new MediatedView(new Section[0], false);

    /** The most buckets a view holds (4 MiB of table); a larger view gets wider buckets. */
    private static final int MAX_BUCKETS = 1 << 17;
    /** Longs per bucket in {@link #entries}. */
    private static final int ENTRY = 4;

    private final Section[] sections;
    private final long[] bounds;  // bounds[2i], bounds[2i + 1]: UnsignedKeys.key of section i's start and last
    private final boolean vcpu;
    private final long base;      // the first section's start
    private final long span;      // the last section's last minus base (unsigned): addresses past it miss
    private final int shift;      // bucket of an address in [base, base + span]: (address - base) >>> shift
    /**
     * Per bucket {@code b}, at {@code 4b}: for a bucket where at most one section starts, the key of section i's
     * start, the key of section i-1's last (i's own where the bucket holds no start), the key of section i's last and
     * i itself, the last section starting at or before the bucket's last address; for a crowded bucket, the last
     * section starting at or before its last address, two unused longs and {@code ~lo}, the complement of the last
     * section starting at or before its first address.
     */
    private final long[] entries;
    /**
     * For a vCPU view: how many of its sections are {@link Section.Kind#FAULT} (RAM too large for any backing until
     * it gets one, which is no change to the flat view), or -1 if not counted. Set by the factory that made the view,
     * before the view is returned; a view with such sections is never patched.
     */
    private int faults = -1;

    /** A view over {@code sections} with the index of {@code same}, whose sections start and end where these do. */
    private MediatedView(Section[] sections, boolean vcpu, MediatedView same) {
        this.sections = sections;
        this.vcpu = vcpu;
        this.bounds = same.bounds;
        this.base = same.base;
        this.span = same.span;
        this.shift = same.shift;
        this.entries = same.entries;
    }

    private MediatedView(Section[] sections, boolean vcpu) {
        this(sections, boundsOf(sections, 0, sections.length), vcpu);
    }

    /** A view over {@code sections} whose bounds, interleaved as in {@link #bounds}, are {@code bounds}. */
    private MediatedView(Section[] sections, long[] bounds, boolean vcpu) {
        int n = sections.length;
        this.sections = sections;
        this.vcpu = vcpu;
        this.bounds = bounds;
        if (n == 0) {
            // one bucket that only 2^64 - 1 reaches, whose one candidate ends below it: every address misses
            this.base = -1L;
            this.span = 0;
            this.shift = 0;
            this.entries = new long[] {Long.MIN_VALUE, UnsignedKeys.key(-2L), UnsignedKeys.key(-2L), 0};
            return;
        }
        this.base = UnsignedKeys.key(bounds[0]);
        this.span = UnsignedKeys.key(bounds[2 * n - 1]) - base;
        this.shift = shiftFor(span, n);
        int count = (int) (span >>> shift) + 1;
        this.entries = new long[ENTRY * count];
        fill(bounds, n, base, span, shift, count, entries);
    }

    /**
     * The smallest bucket width (as a shift) that cuts {@code span + 1} addresses into at most about one and a half
     * buckets per section ({@code n} sections), and at most {@link #MAX_BUCKETS}.
     */
    static int shiftFor(long span, int n) {
        long most = Math.min(MAX_BUCKETS, Math.max(2L, n + (long) (n >>> 1)));
        int shift = 0;
        while (shift < 63 && Long.compareUnsigned(span >>> shift, most - 1) > 0) {
            shift++;
        }
        return shift;
    }

    /** The interleaved bounds of {@code sections[from, to)}, as in {@link #bounds}. */
    private static long[] boundsOf(Section[] sections, int from, int to) {
        long[] bounds = new long[2 * (to - from)];
        for (int i = from; i < to; i++) {
            bounds[2 * (i - from)] = UnsignedKeys.key(sections[i].start);
            bounds[2 * (i - from) + 1] = UnsignedKeys.key(sections[i].last);
        }
        return bounds;
    }

    /**
     * Fills the bucket table ({@link #entries}) of {@code n} sections with these interleaved bounds,
     * read from the bounds alone (no section object is touched), in one pass over the buckets and the sections.
     */
    private static void fill(long[] bounds, int n, long base, long span, int shift, int count, long[] entries) {
        int lo = 0; // the last section starting at or before the bucket's first address
        for (int b = 0; b < count; b++) {
            long first = (long) b << shift; // offsets from base
            long last = b == count - 1 ? span : first + ((1L << shift) - 1);
            while (lo + 1 < n && Long.compareUnsigned(UnsignedKeys.key(bounds[2 * (lo + 1)]) - base, first) <= 0) {
                lo++;
            }
            int hi = lo; // the last section starting at or before the bucket's last address
            while (hi + 1 < n && Long.compareUnsigned(UnsignedKeys.key(bounds[2 * (hi + 1)]) - base, last) <= 0) {
                hi++;
            }
            int e = ENTRY * b;
            if (hi - lo <= 1) {
                entries[e + 3] = hi;
                entries[e] = bounds[2 * hi];
                entries[e + 1] = bounds[2 * lo + 1];
                entries[e + 2] = bounds[2 * hi + 1];
            } else {
                entries[e + 3] = ~lo;
                entries[e] = hi;
            }
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
        Sections out = new Sections(flat.size());
        for (int i = 0, n = flat.size(); i < n; i++) {
            out.add(section(flat.range(i), vcpu, ramOnly));
        }
        return new MediatedView(out.toArray(), vcpu);
    }

    /**
     * The vCPU view of {@code flat}, equal to {@code build(flat, true, false)}, reusing the section of
     * {@code previous} (the vCPU view of {@code previousFlat}) for every range the renderer carried over unchanged
     * from {@code previousFlat} (the same {@link FlatRange} object): a republish then makes new sections only for
     * what changed.
     */
    static MediatedView vcpuViewOf(FlatView flat, FlatView previousFlat, MediatedView previous) {
        if (!previous.vcpu || previous.sections.length != previousFlat.size()) {
            return counted(build(flat, true, false)); // not the pair this view came from: nothing to reuse
        }
        int n = flat.size();
        Section[] sections = new Section[n];
        int j = 0;
        for (int i = 0; i < n; i++) {
            FlatRange r = flat.range(i);
            long key = UnsignedKeys.key(r.start());
            int m = previous.sections.length;
            while (j < m && previous.bounds[2 * j] < key) {
                j++;
            }
            Section old = j < m && previousFlat.range(j) == r ? previous.sections[j] : null;
            // a FAULT section may be RAM now: whether a region can have memory is not part of its flat range
            sections[i] = old != null && old.kind != Section.Kind.FAULT ? old : section(r, true, false);
        }
        return counted(new MediatedView(sections, true));
    }

    /** {@code v}, a vCPU view, with its {@link #faults} counted. */
    private static MediatedView counted(MediatedView v) {
        int f = 0;
        for (Section s : v.sections) {
            f += s.kind == Section.Kind.FAULT ? 1 : 0;
        }
        v.faults = f;
        return v;
    }

    /**
     * The vCPU view of {@code flat} patched from {@code previous}, the vCPU view of {@code previousFlat}, when
     * {@code flat} was patched from {@code previousFlat} ({@link FlatView#changedWindow}): the sections and bounds
     * outside the changed window are copied (two array copies each), the sections inside it made anew, and the bucket
     * table rebuilt from the bounds. Equal to {@code build(flat, true, false)}. {@code null} when the window is not
     * known, covers more than half the view, or {@code previous} has a FAULT section (which a new backing turns into
     * RAM with no change to the flat view): build it then.
     */
    static MediatedView vcpuPatch(FlatView flat, FlatView previousFlat, MediatedView previous) {
        int m = previous.sections.length;
        int n = flat.size();
        if (!previous.vcpu || previous.faults != 0 || m != previousFlat.size() || n == 0) {
            return null;
        }
        int[] w = patchWindow(flat, previousFlat);
        if (w == null) {
            return null;
        }
        int lo = w[0];
        int hiNew = w[1];
        int hiOld = w[2];
        Section[] sections = new Section[n];
        long[] bounds = new long[2 * n];
        System.arraycopy(previous.sections, 0, sections, 0, lo);
        System.arraycopy(previous.bounds, 0, bounds, 0, 2 * lo);
        int faults = 0;
        for (int i = lo; i < hiNew; i++) {
            Section s = section(flat.range(i), true, false);
            sections[i] = s;
            bounds[2 * i] = UnsignedKeys.key(s.start);
            bounds[2 * i + 1] = UnsignedKeys.key(s.last);
            faults += s.kind == Section.Kind.FAULT ? 1 : 0;
        }
        System.arraycopy(previous.sections, hiOld, sections, hiNew, m - hiOld);
        System.arraycopy(previous.bounds, 2 * hiOld, bounds, 2 * hiNew, 2 * (m - hiOld));
        MediatedView v = new MediatedView(sections, bounds, true);
        v.faults = faults;
        return v;
    }

    /**
     * {@link FlatView#changedWindow} of {@code flat} against {@code previousFlat} where it is known and covers at most
     * half of {@code flat} (beyond that a whole build costs about as much), else {@code null}.
     */
    private static int[] patchWindow(FlatView flat, FlatView previousFlat) {
        int[] w = flat.changedWindow(previousFlat);
        return w == null || w[1] - w[0] > flat.size() / 2 ? null : w;
    }

    /**
     * The non-vCPU view of {@code flat} patched from {@code previousDevices}, the non-vCPU view of
     * {@code previousFlat} built with the same {@code ramOnly}, given {@code vcpuView}, the vCPU view of {@code flat}:
     * equal to {@code devicesOf(vcpuView, flat, ramOnly)}. Works where no P2P sections merge (the previous device
     * view shares the previous vCPU view's index, and nothing merges across the changed window's edges): the
     * sections outside the window are copied and the vCPU view's index is shared. {@code null} otherwise.
     */
    static MediatedView devicesPatch(MediatedView vcpuView, FlatView flat, FlatView previousFlat,
                                     MediatedView previousVcpu, MediatedView previousDevices, boolean ramOnly) {
        int m = previousDevices.sections.length;
        int n = flat.size();
        if (previousDevices.vcpu || !vcpuView.vcpu || vcpuView.sections.length != n || m != previousFlat.size()
                || previousDevices.bounds != previousVcpu.bounds || previousVcpu.sections.length != m || n == 0) {
            return null;
        }
        int[] w = patchWindow(flat, previousFlat);
        if (w == null) {
            return null;
        }
        int lo = w[0];
        int hiNew = w[1];
        int hiOld = w[2];
        Section[] sections = new Section[n];
        System.arraycopy(previousDevices.sections, 0, sections, 0, lo);
        for (int i = lo; i < hiNew; i++) {
            Section v = vcpuView.sections[i];
            boolean differs = flat.range(i).passthroughBar() != null
                    || (ramOnly && (v.kind == Section.Kind.MMIO || v.kind == Section.Kind.ROMD));
            sections[i] = differs ? section(flat.range(i), false, ramOnly) : v;
        }
        System.arraycopy(previousDevices.sections, hiOld, sections, hiNew, m - hiOld);
        // the copied runs merged nowhere (the previous view had one section per range): only the window and its
        // edges can
        for (int i = Math.max(lo, 1), end = Math.min(hiNew + 1, n); i < end; i++) {
            if (sections[i - 1].canMerge(sections[i])) {
                return null;
            }
        }
        return new MediatedView(sections, false, vcpuView);
    }

    /**
     * The non-vCPU view of {@code flat}, given its vCPU view {@code vcpuView} (built from the same flat view): equal
     * to {@code build(flat, false, ramOnly)}, but it keeps every vCPU section that does not change and, when no P2P
     * sections merge, the vCPU view's index arrays too, so a republish builds one index instead of two.
     */
    static MediatedView devicesOf(MediatedView vcpuView, FlatView flat, boolean ramOnly) {
        if (!vcpuView.vcpu || vcpuView.sections.length != flat.size()) {
            throw new IllegalArgumentException("devicesOf: expected the vCPU view of the same flat view ("
                    + flat.size() + " ranges), got " + (vcpuView.vcpu ? "" : "a non-vCPU view of ")
                    + vcpuView.sections.length + " sections");
        }
        int n = flat.size();
        Sections out = new Sections(n);
        for (int i = 0; i < n; i++) {
            Section v = vcpuView.sections[i];
            boolean differs = flat.range(i).passthroughBar() != null
                    || (ramOnly && (v.kind == Section.Kind.MMIO || v.kind == Section.Kind.ROMD));
            out.add(differs ? section(flat.range(i), false, ramOnly) : v);
        }
        Section[] sections = out.toArray();
        return sections.length == n ? new MediatedView(sections, false, vcpuView) : new MediatedView(sections, false);
    }

    /** Sections in address order, each P2P piece merged into the one before it where both are pieces of one BAR. */
    private static final class Sections {
        private final Section[] a;
        private int n;

        Sections(int capacity) {
            a = new Section[capacity];
        }

        void add(Section s) {
            if (n > 0 && a[n - 1].canMerge(s)) {
                Section p = a[n - 1];
                a[n - 1] = new Section(p.start, s.last, p.kind, p.region, p.regionDelta, p.readOnly, null, p.bar,
                        p.barDelta);
            } else {
                a[n++] = s;
            }
        }

        Section[] toArray() {
            return n == a.length ? a : Arrays.copyOf(a, n);
        }
    }

    private static Section section(FlatRange r, boolean vcpu, boolean ramOnly) {
        MemoryRegion leaf = r.region();
        long regionDelta = r.offsetInRegion() - r.start();
        // the BAR tag covers the BAR's whole subtree; the renderer found the BAR above each leaf
        PassthroughBar bar = r.passthroughBar();
        if (!vcpu && bar != null) {
            return new Section(r.start(), r.last(), Section.Kind.P2P, leaf, regionDelta, r.readOnly(),
                    null, bar, r.offsetInBar() - r.start());
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

    /**
     * The index of the section containing {@code address}, or -1. One bucket of the table: one int and three longs,
     * none loaded from another, then a compare and the end check (a branch-free binary search inside a crowded
     * bucket: O(log n) at worst); never allocates.
     */
    public int indexOf(long address) {
        long offset = address - base;
        if (Long.compareUnsigned(offset, span) > 0) {
            return -1; // below the first start, or past the last section's end
        }
        int b = (int) (offset >>> shift);
        int e = ENTRY * b;
        int i = (int) entries[e + 3];
        long key = UnsignedKeys.key(address);
        if (i >= 0) {
            boolean at = key >= entries[e]; // in section i's reach, else in section i - 1's
            long last = at ? entries[e + 2] : entries[e + 1];
            return key <= last ? (at ? i : i - 1) : -1;
        }
        return crowded(~i, (int) entries[e], key);
    }

    /** The index of the section in {@code [lo, hi]} containing the address of {@code key}, or -1. */
    private int crowded(int lo, int hi, long key) {
        int at = floorIn(lo, hi, key);
        return key <= bounds[2 * at + 1] ? at : -1;
    }

    /** The last section in {@code [lo, hi]} starting at or below {@code key}, given that section lo does. */
    private int floorIn(int lo, int hi, long key) {
        int at = lo;
        int n = hi - lo + 1; // the floor is in [at, at + n)
        while (n > 1) {
            int half = n >>> 1;
            at = bounds[2 * (at + half)] <= key ? at + half : at;
            n -= half;
        }
        return at;
    }

    /** The bytes of this view's index: its bounds and its bucket table (shared with a view that shares the index). */
    long indexBytes() {
        return 8L * bounds.length + 8L * entries.length;
    }

    /** The first address of section {@code index}. */
    long startOf(int index) {
        return UnsignedKeys.key(bounds[2 * index]);
    }

    /** The last address of section {@code index} minus its first. */
    long spanOf(int index) {
        return bounds[2 * index + 1] - bounds[2 * index];
    }

    /**
     * The first address at or after {@code address} that some section covers, or 0 if none does (the caller
     * knows 0 cannot follow {@code address}).
     */
    long nextStart(long address) {
        long key = UnsignedKeys.key(address);
        int lo = 0;
        int hi = sections.length; // the first start at or above key is in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (bounds[2 * mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < sections.length ? sections[lo].start : 0;
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
