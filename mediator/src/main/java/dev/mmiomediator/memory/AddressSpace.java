package dev.mmiomediator.memory;

/**
 * A named view of memory rooted at a region (QEMU's {@code AddressSpace}). Several address spaces may share
 * a root; each has the {@link FlatView} of its root, re-rendered when a transaction commits.
 *
 * <p>Thread-safe: {@link #flatView()} is a single volatile read of an immutable snapshot.
 */
public final class AddressSpace {
    private final MemorySystem system;
    private final String name;
    private final MemoryRegion root;
    private volatile FlatView flatView = FlatView.empty();
    private final java.util.List<FlatViewListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    AddressSpace(MemorySystem system, String name, MemoryRegion root) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("address space name '" + (name == null ? "null" : "")
                    + "': expected a non-empty name");
        }
        if (root.system() != system) {
            throw new IllegalArgumentException("address space '" + name + "': root '" + root.name()
                    + "' belongs to another MemorySystem");
        }
        this.system = system;
        this.name = name;
        this.root = root;
    }

    /** The system the address space belongs to. */
    public MemorySystem system() {
        return system;
    }

    /** The address space's name (QEMU's {@code as->name}; names need not be unique). */
    public String name() {
        return name;
    }

    /** The root region. */
    public MemoryRegion root() {
        return root;
    }

    /** The current flat view: an immutable snapshot, published when the last transaction committed. */
    public FlatView flatView() {
        return flatView;
    }

    /**
     * Adds a listener told of every new flat view of this space, and tells it the current one at once
     * (as a change from the empty view).
     */
    public void addListener(FlatViewListener listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        synchronized (system.lock) {
            listeners.add(listener);
            listener.flatViewChanged(this, FlatView.empty(), flatView);
        }
    }

    /** Removes a listener. */
    public void removeListener(FlatViewListener listener) {
        synchronized (system.lock) {
            listeners.remove(listener);
        }
    }

    void publish(FlatView view) {
        FlatView previous = flatView;
        flatView = view;
        for (FlatViewListener l : listeners) {
            l.flatViewChanged(this, previous, view);
        }
    }

    @Override
    public String toString() {
        return "AddressSpace '" + name + "' (root '" + root.name() + "')";
    }
}
