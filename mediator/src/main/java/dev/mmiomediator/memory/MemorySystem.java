package dev.mmiomediator.memory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Owns a set of regions and address spaces, the way QEMU's memory core does for one machine: it creates
 * regions, batches topology changes into transactions and re-renders every address space's
 * {@link FlatView} when the outermost transaction commits.
 *
 * <pre>{@code
 * MemorySystem sys = new MemorySystem();
 * MemoryRegion system = sys.container("system", Size.FULL);
 * AddressSpace memory = sys.addressSpace("memory", system);
 * try (MemorySystem.Transaction tx = sys.begin()) {
 *     system.addSubregion(sys.ram("pc.ram", Size.of(512L << 20)), 0);
 *     system.addSubregion(sys.mmio("hpet", Size.of(0x400), ops), 0xfed00000L);
 * }   // one render here
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
        return new MemoryRegion(this, name, RegionKind.ALIAS, size, null, target, offset);
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
            addressSpaces.add(as);
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

    /** How many times this system has re-rendered its views (for tests and diagnostics). */
    public long renderCount() {
        synchronized (lock) {
            return renders;
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

        /** Commits: if this is the outermost transaction and something changed, re-renders every view. */
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
                FlatView previous = as.flatView();
                view = byRoot.computeIfAbsent(root, r -> Renderer.renderFrom(r, previous));
            }
            as.publish(view);
        }
    }
}
