package dev.mmiomediator.dma;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatView;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Mediates DMA in one address space: keeps a vCPU view (the flat view) and a device view (passthrough BARs
 * replaced by P2P sections; with RAM-only mode, all device MMIO faulting), rebuilt and published whenever the
 * memory system commits, and hands out a {@link DmaPort} per initiator.
 *
 * <pre>{@code
 * Mediator mediator = new Mediator(memory);                 // memory: the AddressSpace of guest physical memory
 * DmaPort virtioNet = mediator.port(Initiator.softwareDevice("virtio-net")); // one port per initiator thread
 * long v = virtioNet.read(0x1000, 8);  int r = virtioNet.result();  // value reads: MemTxResult bits from result()
 * r = virtioNet.write(0x1008, 4, 0xcafe);                            // writes return them
 * }</pre>
 *
 * <p><b>Note:</b> thread-safe. Views are immutable and published with one volatile store each; the P2P handler
 * is a volatile field. After publishing its own view fields, a commit stores the new view in every live port's own
 * view field (vCPU ports the vCPU view, the others the device view), on the committing thread under the memory
 * system's lock, so a port's access reads its own field only and still sees every commit that has returned. The
 * ports are held weakly: an emulator that drops a port leaks nothing (cleared references are pruned at each
 * commit, and when the list has doubled since the last prune).
 */
public final class Mediator {
    /** The smallest registry size at which making a port prunes the registry. */
    private static final int MIN_PRUNE_AT = 16;

    private final AddressSpace space;
    private final boolean ramOnly;
    private final List<ViewListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MediatedView vcpuView = MediatedView.empty();
    private volatile MediatedView deviceView = MediatedView.empty();
    private volatile P2pHandler p2pHandler;
    /** The ports made here and not yet found collected; guarded by the memory system's lock. */
    private final List<WeakReference<DmaPort>> ports = new ArrayList<>();
    /** The registry size at which {@link #port} prunes it first (guarded by the system's lock). */
    private int prunePortsAt = MIN_PRUNE_AT;
    /** Commits whose vCPU view, and whose device view, were patched from the previous one (under the system lock). */
    private long vcpuPatches;
    private long devicePatches;

    /** Mediates {@code space} with the default master-abort P2P handler. */
    public Mediator(AddressSpace space) {
        this(space, new MasterAbortP2pHandler(), false);
    }

    /**
     * Mediates {@code space}.
     *
     * @param ramOnly whether every device MMIO range (not only passthrough BARs) faults for non-vCPU initiators
     */
    public Mediator(AddressSpace space, P2pHandler handler, boolean ramOnly) {
        this.space = Objects.requireNonNull(space, "space");
        this.p2pHandler = Objects.requireNonNull(handler, "handler");
        this.ramOnly = ramOnly;
        space.addListener(this::rebuild);
    }

    private void rebuild(AddressSpace as, FlatView previous, FlatView current) {
        MediatedView oldDevice = deviceView;
        MediatedView oldVcpu = vcpuView;
        // both views are patched around the window the flat view was patched in, when it is known and small
        MediatedView newVcpu = MediatedView.vcpuPatch(current, previous, oldVcpu);
        if (newVcpu != null) {
            vcpuPatches++;
        } else {
            newVcpu = MediatedView.vcpuViewOf(current, previous, oldVcpu);
        }
        MediatedView newDevice = MediatedView.devicesPatch(newVcpu, current, previous, oldVcpu, oldDevice, ramOnly);
        if (newDevice != null) {
            devicePatches++;
        } else {
            newDevice = MediatedView.devicesOf(newVcpu, current, ramOnly);
        }
        vcpuView = newVcpu;
        deviceView = newDevice;
        publishToPorts(newVcpu, newDevice);
        if (!listeners.isEmpty()) {
            Set<Section> before = new HashSet<>(oldDevice.sections());
            Set<Section> after = new HashSet<>(newDevice.sections());
            List<Section> removed = new ArrayList<>();
            for (Section s : oldDevice.sections()) {
                if (!after.contains(s)) {
                    removed.add(s);
                }
            }
            List<Section> added = new ArrayList<>();
            for (Section s : newDevice.sections()) {
                if (!before.contains(s)) {
                    added.add(s);
                }
            }
            if (!removed.isEmpty() || !added.isEmpty()) {
                for (ViewListener l : listeners) {
                    l.viewChanged(List.copyOf(removed), List.copyOf(added));
                }
            }
        }
    }

    /**
     * Stores the new views in every live port (after the mediator's own fields, so a port never holds a view newer
     * than the mediator's) and drops the references whose port was collected. Runs in the commit, under the lock.
     */
    private void publishToPorts(MediatedView newVcpu, MediatedView newDevice) {
        prunePorts();
        for (WeakReference<DmaPort> ref : ports) {
            DmaPort p = ref.get();
            if (p != null) { // collected since the prune: the next one drops it
                p.publish(p.vcpu() ? newVcpu : newDevice);
            }
        }
    }

    /** Drops the references whose port was collected; under the lock. */
    private void prunePorts() {
        ports.removeIf(ref -> ref.get() == null);
        prunePortsAt = Math.max(MIN_PRUNE_AT, 2 * ports.size());
    }

    /** How many ports the registry holds (live, or collected and not yet pruned). For tests. */
    int registeredPorts() {
        return space.system().atomically(ports::size);
    }

    /** How many commits patched the vCPU view ({@code [0]}) and the device view ({@code [1]}) rather than built it. */
    long[] patchCounts() {
        return space.system().atomically(() -> new long[] {vcpuPatches, devicePatches});
    }

    /** The mediated address space. */
    public AddressSpace space() {
        return space;
    }

    /** Whether RAM-only mode is on. */
    public boolean ramOnly() {
        return ramOnly;
    }

    /** The current view for {@code initiator}: one volatile read. */
    public MediatedView view(Initiator initiator) {
        return initiator.isVcpu() ? vcpuView : deviceView;
    }

    MediatedView view(boolean vcpu) {
        return vcpu ? vcpuView : deviceView;
    }

    /** The P2P handler in effect. */
    public P2pHandler p2pHandler() {
        return p2pHandler;
    }

    /** Replaces the P2P handler (the policy engine plugs in here). */
    public void setP2pHandler(P2pHandler handler) {
        this.p2pHandler = Objects.requireNonNull(handler, "handler");
    }

    /**
     * Adds a listener of the device view, and tells it the current view at once as all added.
     */
    public void addViewListener(ViewListener listener) {
        Objects.requireNonNull(listener, "listener");
        // atomically: no commit (and so no rebuild) between the current view and the listener's first change
        space.system().atomically(() -> {
            listeners.add(listener);
            listener.viewChanged(List.of(), deviceView.sections());
            return null;
        });
    }

    /**
     * A new port for {@code initiator}; use each port from one thread. The port is registered for every later commit
     * and given the current view under the memory system's lock, so no commit falls in between; like every call
     * that takes that lock, do not call this while holding a lock that a thread inside a commit or a transaction
     * may wait for.
     */
    public DmaPort port(Initiator initiator) {
        Objects.requireNonNull(initiator, "initiator");
        return space.system().atomically(() -> {
            DmaPort p = new DmaPort(this, initiator, view(initiator.isVcpu()));
            if (ports.size() >= prunePortsAt) {
                prunePorts();
            }
            ports.add(new WeakReference<>(p));
            return p;
        });
    }
}
