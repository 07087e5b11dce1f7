// Over 500 lines on purpose: this is QEMU's MemoryRegion API (its getters, setters and subregion list) in one
// type, as emulator developers know it; its rendering lives in Renderer and its memory in RamBacking.
package dev.mmiomediator.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node of the memory map: RAM, ROM, ram device, ROM device, MMIO, container or alias (see
 * {@link RegionKind}), with QEMU's semantics.
 *
 * <p>A region is created by a {@link MemorySystem} factory method and belongs to that system. It may be
 * placed inside one container ({@link #addSubregion(MemoryRegion, long, int)}) at an address relative to
 * the container's start, with a signed priority. Among siblings, higher priority wins where they overlap;
 * among equal priorities the child added or moved most recently wins. {@link #subregions()} lists the
 * children in exactly that precedence order (QEMU's {@code subregions} list).
 *
 * <p><b>Note:</b> mutators are serialized by the owning system's lock and take effect, in every address
 * space, when the outermost {@link MemorySystem#begin() transaction} commits (immediately if none is open).
 * Getters read the current (possibly uncommitted) topology and are meant for the thread that changes it.
 */
public final class MemoryRegion {
    private final MemorySystem system;
    private final String name;
    private final RegionKind kind;
    private final MemoryRegionOps ops;
    private final MemoryRegion aliasTarget;

    private volatile Size size; // volatile: canHaveRamBacking() reads it without the lock
    private long aliasOffset;
    private boolean enabled = true;
    private boolean readOnly;
    private boolean nonVolatile;
    private boolean romdMode = true;

    private volatile RamBacking ramBacking;
    /** Guards creating the default backing on first use, without the system's lock. */
    private final Object backingLock = new Object();
    private PassthroughBar passthroughBar;

    private MemoryRegion container;
    private long address;
    private int priority;
    private final List<MemoryRegion> subregions = new ArrayList<>();
    private final List<MemoryRegion> subregionsView = Collections.unmodifiableList(subregions);
    /** The aliases whose target this region is: the other places where its subtree renders. */
    private final List<MemoryRegion> aliases = new ArrayList<>(0);
    /** The children sorted by address, for windowed renders; null until needed and after every change to them. */
    private ChildIndex childIndex;
    /** When the region was last placed among its siblings (added, moved, re-prioritised): the later, the higher. */
    private long sequence;

    MemoryRegion(MemorySystem system, String name, RegionKind kind, Size size, MemoryRegionOps ops,
                 MemoryRegion aliasTarget, long aliasOffset) {
        this.system = system;
        this.name = requireName(name);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.size = Objects.requireNonNull(size, "size of region '" + name + "'");
        this.ops = ops;
        this.aliasTarget = aliasTarget;
        this.aliasOffset = aliasOffset;
        this.readOnly = kind == RegionKind.ROM;
        if (aliasTarget != null) {
            checkWindow(aliasTarget, aliasOffset, size);
        }
    }

    private static String requireName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("region name '" + (name == null ? "null" : "")
                    + "': expected a non-empty name");
        }
        return name;
    }

    private void checkWindow(MemoryRegion target, long offset, Size windowSize) {
        if (!windowSize.isZero() && Long.compareUnsigned(offset, -1L - windowSize.last()) > 0) {
            throw new IllegalArgumentException("alias '" + name + "' window " + Size.hex(offset) + "+"
                    + windowSize + " onto '" + target.name + "': ends past 2^64");
        }
    }

    /** The system this region belongs to. */
    public MemorySystem system() {
        return system;
    }

    /** The region's name; names need not be unique. */
    public String name() {
        return name;
    }

    /** What kind of region this is. */
    public RegionKind kind() {
        return kind;
    }

    /** The region's size, 0 to 2<sup>64</sup>. */
    public Size size() {
        synchronized (system.lock) {
            return size;
        }
    }

    /** The callbacks of an MMIO or ROM device region; {@code null} for other kinds. */
    public MemoryRegionOps ops() {
        return ops;
    }

    /** For an alias, the region it is a window onto; otherwise {@code null}. */
    public MemoryRegion aliasTarget() {
        return aliasTarget;
    }

    /** For an alias, where its window starts inside the target (unsigned); otherwise 0. */
    public long aliasOffset() {
        synchronized (system.lock) {
            return aliasOffset;
        }
    }

    /** Whether the region (and with it its whole subtree) takes part in rendering. */
    public boolean isEnabled() {
        synchronized (system.lock) {
            return enabled;
        }
    }

    /**
     * Whether the region itself is read-only. Read-only is inherited when rendering: every range reached
     * through a read-only region (or alias) is read-only. ROM regions are read-only from creation.
     */
    public boolean isReadOnly() {
        synchronized (system.lock) {
            return readOnly;
        }
    }

    /** Whether the region is marked non-volatile (QEMU prints {@code nv-} before its type). */
    public boolean isNonVolatile() {
        synchronized (system.lock) {
            return nonVolatile;
        }
    }

    /** For a ROM device: whether reads go straight to memory (ROMD mode, the default). */
    public boolean isRomdMode() {
        synchronized (system.lock) {
            return romdMode;
        }
    }

    /** The container this region is placed in, or {@code null}. */
    public MemoryRegion container() {
        synchronized (system.lock) {
            return container;
        }
    }

    /** The region's address inside its container (unsigned); 0 when it has none. */
    public long address() {
        synchronized (system.lock) {
            return address;
        }
    }

    /** The region's priority among its siblings; 0 when it has no container. */
    public int priority() {
        synchronized (system.lock) {
            return priority;
        }
    }

    /**
     * The children, in precedence order: descending priority, and among equal priorities the most recently
     * added or moved first. A read-only snapshot view: do not hold it across changes.
     */
    public List<MemoryRegion> subregions() {
        synchronized (system.lock) {
            return List.copyOf(subregionsView);
        }
    }

    /** Whether the region's accesses go to memory: RAM, ROM, ram device, or a ROM device (for reads in ROMD mode). */
    public boolean isRamLike() {
        return kind == RegionKind.RAM || kind == RegionKind.ROM || kind == RegionKind.RAM_DEVICE
                || kind == RegionKind.ROM_DEVICE;
    }

    /**
     * The memory behind a RAM-like region. Unless one was {@link #setRamBacking set}, a {@link SparseRam} is
     * created on first use, so untouched memory costs nothing.
     *
     * @throws IllegalStateException if the region is not RAM-like, or too large for sparse backing
     */
    public RamBacking ramBacking() {
        RamBacking b = ramBacking;
        if (b == null) {
            if (!isRamLike()) {
                throw new IllegalStateException("region '" + name + "' is " + kind + ": only RAM-like regions have memory");
            }
            synchronized (backingLock) {
                b = ramBacking;
                if (b == null) {
                    Size sz = size; // not size(): the system lock is never taken inside this one
                    if (!SparseRam.canBack(sz)) {
                        throw new IllegalStateException("region '" + name + "' of " + sz + " is too large for RAM backing");
                    }
                    b = new SparseRam(sz.bytes());
                    ramBacking = b;
                }
            }
        }
        return b;
    }

    /**
     * Whether {@link #ramBacking()} can give this region memory: it is RAM-like, and it has a backing or is small
     * enough for {@link SparseRam} (at most 2^62 bytes).
     */
    public boolean canHaveRamBacking() {
        return isRamLike() && (ramBacking != null || SparseRam.canBack(size));
    }

    /**
     * Gives a RAM-like region its memory, e.g. a {@link ByteBufRam} over memory the emulator already owns. This is a
     * topology change: views built from now on, and DMA through them, use the new memory (at once outside a
     * transaction, at its commit inside one).
     *
     * @throws IllegalArgumentException if the region is not RAM-like or the backing is smaller than the region
     */
    public void setRamBacking(RamBacking backing) {
        Objects.requireNonNull(backing, "backing of region '" + name + "'");
        if (!isRamLike()) {
            throw new IllegalArgumentException("region '" + name + "' is " + kind + ": only RAM-like regions take a backing");
        }
        Size sz = size();
        if (sz.isFull() || Long.compareUnsigned(backing.size(), sz.bytes()) < 0) {
            throw new IllegalArgumentException("backing of " + Size.hex(backing.size()) + " bytes for region '" + name
                    + "' of " + sz + ": expected at least the region's size");
        }
        synchronized (system.lock) {
            synchronized (backingLock) {
                ramBacking = backing;
            }
            system.changed(); // views and DMA ports bind a RAM section's memory: a commit makes them take the new one
        }
    }

    /** The passthrough BAR this region is (its subtree is P2P space), or {@code null}. */
    public PassthroughBar passthroughBar() {
        synchronized (system.lock) {
            return passthroughBar;
        }
    }

    /**
     * Marks this region as a passthrough device's BAR (or clears the mark with {@code null}): the region and its
     * whole subtree become P2P space in every non-vCPU view.
     */
    public void setPassthroughBar(PassthroughBar bar) {
        synchronized (system.lock) {
            if (!Objects.equals(passthroughBar, bar)) {
                passthroughBar = bar;
                system.touched(this);
                system.touchedBelow(this); // the leaves below take the BAR from their container chain
                system.changed();
            }
        }
    }

    PassthroughBar passthroughBarUnlocked() {
        return passthroughBar;
    }

    /** Whether the region claims addresses itself when rendered (see {@link RegionKind#terminates()}). */
    public boolean terminates() {
        return kind.terminates();
    }

    /** Places {@code child} at {@code address} inside this region, with priority 0. */
    public MemoryRegion addSubregion(MemoryRegion child, long address) {
        return addSubregion(child, address, 0);
    }

    /**
     * Places {@code child} at {@code address} (relative to this region's start) with {@code priority}.
     * The child becomes the most recent among its equal-priority siblings.
     *
     * @return this region, for chaining
     * @throws IllegalArgumentException if this is an alias, the child already has a container, belongs to
     *         another system, would extend past 2<sup>64</sup>, or would make the region graph cyclic
     */
    public MemoryRegion addSubregion(MemoryRegion child, long address, int priority) {
        Objects.requireNonNull(child, "child");
        synchronized (system.lock) {
            if (child.system != system) {
                throw new IllegalArgumentException("region '" + child.name + "' belongs to another MemorySystem "
                        + "than '" + name + "'");
            }
            if (kind == RegionKind.ALIAS) {
                throw new IllegalArgumentException("cannot add '" + child.name + "' to alias '" + name
                        + "': an alias has no subregions (add it to the alias target instead)");
            }
            if (child.container == this) {
                throw new IllegalArgumentException("region '" + child.name + "' is already a subregion of '"
                        + name + "' (at " + Size.hex(child.address) + "): remove it or move it instead");
            }
            if (child.container != null) {
                throw new IllegalArgumentException("region '" + child.name + "' is already a subregion of '"
                        + child.container.name + "': a region has at most one container");
            }
            if (child == this) {
                throw new IllegalArgumentException("region '" + name + "' cannot contain itself");
            }
            checkFits(child, address, child.size);
            String path = pathTo(child, this);
            if (path != null) {
                throw new IllegalArgumentException("adding '" + child.name + "' to '" + name
                        + "' would create a cycle: " + path);
            }
            system.touched(child); // detached, it renders only as a view's root or an alias's target, which stay
            child.container = this;
            child.address = address;
            child.priority = priority;
            insertByPriority(child);
            if (childIndex != null) {
                childIndex.insert(child);
            }
            system.touched(child);
            if (system.barAtOrAbove(this)) {
                system.touchedBelow(child);
            }
            system.changed();
        }
        return this;
    }

    /**
     * Removes {@code child} from this region. Like QEMU, the child keeps its address and priority (they apply
     * again if it is re-added with the same values, and {@code info mtree} prints them).
     *
     * @throws IllegalArgumentException if it is not a subregion of this region
     */
    public void removeSubregion(MemoryRegion child) {
        synchronized (system.lock) {
            if (child.container != this) {
                throw new IllegalArgumentException("region '" + child.name + "' is not a subregion of '" + name + "'");
            }
            system.touched(child);
            if (system.barAtOrAbove(this)) {
                system.touchedBelow(child);
            }
            subregions.remove(child);
            if (childIndex != null) {
                childIndex.remove(child);
            }
            child.container = null;
            system.changed();
        }
    }

    /**
     * Moves this region inside its container (QEMU's {@code memory_region_set_address}); like QEMU it becomes
     * the most recent among its equal-priority siblings. Also like QEMU, setting the address it already has
     * changes nothing: the region keeps its place among its siblings.
     */
    public void setAddress(long newAddress) {
        synchronized (system.lock) {
            if (newAddress == address) {
                return;
            }
            if (container == null) {
                system.touched(this);
                address = newAddress;
                system.touched(this);
                system.changed();
                return;
            }
            container.checkFits(this, newAddress, size);
            system.touched(this);
            if (system.barAtOrAbove(container)) {
                system.touchedBelow(this); // the offsets in the BAR of the leaves below move with it
            }
            container.subregions.remove(this);
            ChildIndex index = container.childIndex;
            if (index != null) {
                index.remove(this);
            }
            address = newAddress;
            container.insertByPriority(this);
            if (index != null) {
                index.insert(this);
            }
            system.touched(this);
            system.changed();
        }
    }

    /** Changes this region's priority among its siblings; it becomes the most recent at its new priority. */
    public void setPriority(int newPriority) {
        synchronized (system.lock) {
            priority = newPriority;
            if (container != null) {
                container.subregions.remove(this);
                container.insertByPriority(this);
            }
            system.touched(this); // same extent: only where it overlaps its siblings can the order matter
            system.changed();
        }
    }

    /** Resizes the region (QEMU's {@code memory_region_set_size}). */
    public void setSize(Size newSize) {
        Objects.requireNonNull(newSize, "size");
        synchronized (system.lock) {
            if (container != null) {
                container.checkFits(this, address, newSize);
            }
            if (aliasTarget != null) {
                checkWindow(aliasTarget, aliasOffset, newSize);
            }
            system.touched(this);
            ChildIndex index = container == null ? null : container.childIndex;
            if (index != null) {
                index.remove(this);
            }
            size = newSize;
            if (index != null) {
                index.insert(this);
            }
            system.touched(this);
            system.changed();
        }
    }

    /** Enables or disables the region and its subtree. */
    public void setEnabled(boolean on) {
        synchronized (system.lock) {
            if (enabled != on) {
                enabled = on;
                system.touched(this);
                system.changed();
            }
        }
    }

    /** Marks the region read-only (inherited by everything rendered through it). */
    public void setReadOnly(boolean on) {
        synchronized (system.lock) {
            if (readOnly != on) {
                readOnly = on;
                system.touched(this);
                system.changed();
            }
        }
    }

    /** Marks the region non-volatile. */
    public void setNonVolatile(boolean on) {
        synchronized (system.lock) {
            if (nonVolatile != on) {
                nonVolatile = on;
                system.touched(this);
                system.changed();
            }
        }
    }

    /**
     * For a ROM device, switches ROMD mode (reads from memory) on or off.
     *
     * @throws IllegalStateException for other kinds
     */
    public void setRomdMode(boolean on) {
        if (kind != RegionKind.ROM_DEVICE) {
            throw new IllegalStateException("region '" + name + "' is " + kind + ": only a ROM_DEVICE has a ROMD mode");
        }
        synchronized (system.lock) {
            if (romdMode != on) {
                romdMode = on;
                system.touched(this);
                system.changed();
            }
        }
    }

    /**
     * Moves an alias's window inside its target (QEMU's {@code memory_region_set_alias_offset}).
     *
     * @throws IllegalStateException if this is not an alias
     */
    public void setAliasOffset(long offset) {
        if (aliasTarget == null) {
            throw new IllegalStateException("region '" + name + "' is " + kind + ", not an alias");
        }
        synchronized (system.lock) {
            checkWindow(aliasTarget, offset, size);
            aliasOffset = offset;
            system.touched(this);
            system.changed();
        }
    }

    private void checkFits(MemoryRegion child, long at, Size childSize) {
        if (!childSize.isZero() && Long.compareUnsigned(at, -1L - childSize.last()) > 0) {
            throw new IllegalArgumentException("region '" + child.name + "' at " + Size.hex(at) + " with size "
                    + childSize + " inside '" + name + "': ends past 2^64");
        }
    }

    private void insertByPriority(MemoryRegion child) {
        child.sequence = system.nextSequence();
        int i = 0;
        while (i < subregions.size() && subregions.get(i).priority > child.priority) {
            i++;
        }
        subregions.add(i, child);
    }

    /**
     * Finds a path from {@code from} to {@code to} through subregion and alias-target edges, or
     * {@code null} if there is none.
     */
    private static String pathTo(MemoryRegion from, MemoryRegion to) {
        Map<MemoryRegion, MemoryRegion> cameFrom = new IdentityHashMap<>();
        Deque<MemoryRegion> todo = new ArrayDeque<>();
        cameFrom.put(from, from);
        todo.add(from);
        while (!todo.isEmpty()) {
            MemoryRegion r = todo.poll();
            if (r == to) {
                List<String> names = new ArrayList<>();
                for (MemoryRegion x = r; ; x = cameFrom.get(x)) {
                    names.add("'" + x.name + "'");
                    if (x == from) {
                        break;
                    }
                }
                Collections.reverse(names);
                return String.join(" -> ", names) + " -> '" + from.name + "'";
            }
            List<MemoryRegion> next = new ArrayList<>(r.subregions);
            if (r.aliasTarget != null) {
                next.add(r.aliasTarget);
            }
            for (MemoryRegion n : next) {
                if (!cameFrom.containsKey(n)) {
                    cameFrom.put(n, r);
                    todo.add(n);
                }
            }
        }
        return null;
    }

    // Accessors without locking, for the renderer and exporters, which hold the system lock already.
    Size sizeUnlocked() {
        return size;
    }

    long aliasOffsetUnlocked() {
        return aliasOffset;
    }

    boolean enabledUnlocked() {
        return enabled;
    }

    boolean readOnlyUnlocked() {
        return readOnly;
    }

    boolean nonVolatileUnlocked() {
        return nonVolatile;
    }

    boolean romdModeUnlocked() {
        return romdMode;
    }

    MemoryRegion containerUnlocked() {
        return container;
    }

    long addressUnlocked() {
        return address;
    }

    int priorityUnlocked() {
        return priority;
    }

    long sequenceUnlocked() {
        return sequence;
    }

    List<MemoryRegion> subregionsUnlocked() {
        return subregionsView;
    }

    /** The aliases onto this region (in creation order; detached ones too). */
    List<MemoryRegion> aliasesUnlocked() {
        return aliases;
    }

    /** Records a new alias onto this region; called by {@link MemorySystem#alias} with the lock held. */
    void addAliasUnlocked(MemoryRegion alias) {
        aliases.add(alias);
    }

    /** The children sorted by address, or {@code null} when there are too few to be worth one. */
    ChildIndex childIndexUnlocked() {
        if (childIndex == null && subregions.size() > ChildIndex.MIN_CHILDREN) {
            childIndex = ChildIndex.of(subregions);
        }
        return childIndex;
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " '" + name + "' (" + size + ")";
    }
}
