package dev.mmiomediator.memory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Owns a set of regions and address spaces, the way QEMU's memory core does for one machine: it creates
 * regions, batches topology changes into transactions and publishes a new {@link FlatView} in every address
 * space when the outermost transaction commits. Unlike QEMU, the commit re-renders only where the transaction's
 * changes render (see {@link DirtyWindows}) and patches the previous view there, unless a change cannot be
 * localised (docs/memory-model.md, "Incremental commits").
 *
 * <pre>{@code
 * MemorySystem sys = new MemorySystem();
 * MemoryRegion system = sys.container("system", Size.FULL);
 * AddressSpace memory = sys.addressSpace("memory", system);
 * try (MemorySystem.Transaction tx = sys.begin()) {
 *     system.addSubregion(sys.ram("pc.ram", Size.of(512L << 20)), 0);
 *     system.addSubregion(sys.mmio("hpet", Size.of(0x400), ops), 0xfed00000L);
 * }   // one commit here
 * FlatView view = memory.flatView();
 * }</pre>
 *
 * <p><b>Note:</b> thread-safe. Topology changes are serialized by a private lock of the system's (QEMU has its
 * BQL); reading flat views needs no lock. A caller that must check the topology and change it with no other
 * change in between does both in {@link #atomically}.
 */
public final class MemorySystem {
    /**
     * Serializes every topology change, query and commit of this system and of its regions and address spaces
     * (the memory package's classes take it directly). Listeners run under it, on the committing thread.
     */
    final Object lock = new Object();
    private final List<AddressSpace> addressSpaces = new ArrayList<>();
    private int depth;
    private boolean pending;
    private long renders;
    private long fullRenders;
    private long placements;
    private long patches;
    /** Where the open transaction changed the views (see {@link DirtyWindows}). */
    private final DirtyWindows dirty = new DirtyWindows();

    /** A new, empty memory system. */
    public MemorySystem() {
    }

    /** A RAM region. */
    public MemoryRegion ram(String name, Size size) {
        return new MemoryRegion(this, name, RegionKind.RAM, size, null, null, 0);
    }

    /** A ROM region (read-only RAM). */
    public MemoryRegion rom(String name, Size size) {
        return new MemoryRegion(this, name, RegionKind.ROM, size, null, null, 0);
    }

    /** A ram device region, such as a VFIO BAR mmap. */
    public MemoryRegion ramDevice(String name, Size size) {
        return new MemoryRegion(this, name, RegionKind.RAM_DEVICE, size, null, null, 0);
    }

    /** A ROM device: reads like RAM (in ROMD mode), writes go to {@code ops}. */
    public MemoryRegion romDevice(String name, Size size, MemoryRegionOps ops) {
        return new MemoryRegion(this, name, RegionKind.ROM_DEVICE, size, checkOps(name, ops), null, 0);
    }

    /** An MMIO region whose accesses go to {@code ops}. */
    public MemoryRegion mmio(String name, Size size, MemoryRegionOps ops) {
        return new MemoryRegion(this, name, RegionKind.MMIO, size, checkOps(name, ops), null, 0);
    }

    /** A container: it holds subregions and claims no address itself. */
    public MemoryRegion container(String name, Size size) {
        return new MemoryRegion(this, name, RegionKind.CONTAINER, size, null, null, 0);
    }

    /**
     * An alias: the window {@code [offset, offset + size)} of {@code target}, to be placed elsewhere.
     *
     * @throws IllegalArgumentException if the target belongs to another system or the window ends past 2^64
     */
    public MemoryRegion alias(String name, MemoryRegion target, long offset, Size size) {
        Objects.requireNonNull(target, "target of alias '" + name + "'");
        if (target.system() != this) {
            throw new IllegalArgumentException("alias '" + name + "': target '" + target.name()
                    + "' belongs to another MemorySystem");
        }
        synchronized (lock) {
            MemoryRegion alias = new MemoryRegion(this, name, RegionKind.ALIAS, size, null, target, offset);
            target.addAliasUnlocked(alias); // a change inside the target renders here too
            return alias;
        }
    }

    private static MemoryRegionOps checkOps(String name, MemoryRegionOps ops) {
        Objects.requireNonNull(ops, "ops of region '" + name + "'");
        int min = ops.minAccessSize();
        int max = ops.maxAccessSize();
        if (!validAccessSize(min) || !validAccessSize(max) || min > max) {
            throw new IllegalArgumentException("ops of region '" + name + "': access sizes " + min + ".." + max
                    + ", expected powers of two from 1 to 8 with min <= max");
        }
        return ops;
    }

    private static boolean validAccessSize(int n) {
        return n == 1 || n == 2 || n == 4 || n == 8;
    }

    /**
     * A new address space rooted at {@code root}; its flat view is rendered at once (or when the open
     * transaction commits).
     */
    public AddressSpace addressSpace(String name, MemoryRegion root) {
        synchronized (lock) {
            Objects.requireNonNull(root, "root of address space '" + name + "'");
            AddressSpace as = new AddressSpace(this, name, root);
            addressSpaces.add(as); // its view is empty, rooted nowhere: the commit renders it whole
            changed();
            return as;
        }
    }

    /** Removes an address space; its last flat view stays readable. */
    public void removeAddressSpace(AddressSpace as) {
        synchronized (lock) {
            if (!addressSpaces.remove(as)) {
                throw new IllegalArgumentException(as + " is not part of this memory system");
            }
        }
    }

    /** The address spaces, in creation order. */
    public List<AddressSpace> addressSpaces() {
        synchronized (lock) {
            return List.copyOf(addressSpaces);
        }
    }

    /** How many times this system has committed new views, patched or rendered whole (for tests and diagnostics). */
    public long renderCount() {
        synchronized (lock) {
            return renders;
        }
    }

    /** How many of those re-renders rendered some view whole, rather than patching the previous view. */
    long fullRenderCount() {
        synchronized (lock) {
            return fullRenders;
        }
    }

    /** How many views were patched: re-rendered in the windows a commit touched only. */
    long patchCount() {
        synchronized (lock) {
            return patches;
        }
    }

    /**
     * Opens a transaction: changes made until it is closed are rendered once, when the outermost open
     * transaction closes. Transactions nest. Use with try-with-resources.
     */
    public Transaction begin() {
        synchronized (lock) {
            depth++;
            return new Transaction();
        }
    }

    /** Runs {@code changes} in one transaction. */
    public void transaction(Runnable changes) {
        try (Transaction tx = begin()) {
            changes.run();
        }
    }

    /**
     * Runs {@code work} holding the system's lock, inside one transaction, and returns its result: no other
     * thread changes, queries or commits the topology meanwhile, so a check and the change it allows see the
     * same topology, and listeners see the changes as one commit when {@code work} returns. {@code work} may
     * use every method of the system, its regions and its address spaces; it must not wait for another thread
     * that does.
     */
    public <T> T atomically(java.util.function.Supplier<T> work) {
        Objects.requireNonNull(work, "work");
        synchronized (lock) {
            try (Transaction tx = begin()) {
                return work.get();
            }
        }
    }

    /** An open transaction; {@link #close()} commits it. */
    public final class Transaction implements AutoCloseable {
        private boolean closed;

        private Transaction() {
        }

        /** Commits: if this is the outermost transaction and something changed, publishes every view anew. */
        @Override
        public void close() {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                depth--;
                if (depth == 0 && pending) {
                    commit();
                }
            }
        }
    }

    /** Renders {@code root} as QEMU would for an address space rooted there, without creating one. */
    public FlatView render(MemoryRegion root) {
        synchronized (lock) {
            return Renderer.renderAddressSpace(root);
        }
    }

    /**
     * Marks the topology changed. Unlike QEMU, a change inside a disabled subtree is not skipped: it cannot
     * change what renders, but it can change what the views derive from the region tree (a P2P section's
     * offset in its BAR follows the container chain of a leaf that an alias reaches inside a disabled region).
     * Callers skip true no-ops (setting a value to what it already is).
     */
    void changed() {
        pending = true;
        if (depth == 0) {
            commit();
        }
    }

    /**
     * Records where {@code r} renders now, in every published view (called before and after a change to where
     * or how it renders): the commit re-renders those windows only.
     */
    void touched(MemoryRegion r) {
        dirty.touched(r);
    }

    /**
     * Records that what the leaves below {@code r} take from their container chain (their passthrough BAR and
     * offset in it) changes: where they render through an alias onto a region below {@code r}, which the windows
     * of {@code r} do not cover, the commit renders whole.
     */
    void touchedBelow(MemoryRegion r) {
        dirty.touchedBelow(r);
    }

    /** A number larger than every one given before: the order in which regions were placed among siblings. */
    long nextSequence() {
        return ++placements;
    }

    /** Whether {@code r} or a region of its container chain is tagged as a passthrough BAR. */
    boolean barAtOrAbove(MemoryRegion r) {
        for (MemoryRegion x = r; x != null; x = x.containerUnlocked()) {
            if (x.passthroughBarUnlocked() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Publishes a new view in every address space. A view whose flat-view root is the one it was rendered from is
     * patched: only the windows the transaction touched are re-rendered (QEMU re-renders every view whole; so
     * does this when a view's root changed, when the changes reached it through too many paths, or when they
     * cover most of it).
     */
    private void commit() {
        pending = false;
        renders++;
        Map<MemoryRegion, FlatView> byRoot = new IdentityHashMap<>();
        FlatView none = null;
        for (AddressSpace as : addressSpaces) {
            MemoryRegion root = Renderer.flatViewRoot(as.root());
            FlatView view;
            if (root == null) {
                if (none == null) {
                    none = Renderer.renderFrom(null);
                }
                view = none;
            } else {
                view = byRoot.get(root);
                if (view == null) {
                    FlatView previous = as.flatView();
                    if (previous.root() == root && !dirty.wholeRender()) {
                        long[] windows = dirty.windows(root);
                        view = Renderer.patch(root, previous, windows);
                        if (view != null && windows.length > 0) {
                            patches++;
                        }
                    }
                    if (view == null) {
                        view = Renderer.renderFrom(root, previous);
                        fullRenders++;
                    }
                    byRoot.put(root, view);
                }
            }
            as.publish(view);
        }
        dirty.committed(byRoot.keySet());
    }
}
