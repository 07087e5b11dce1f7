package dev.mmiomediator.vfio;

import dev.mmiomediator.pci.PciBar;

import dev.mmiomediator.pci.PciAddress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * A passthrough (VFIO) PCI function: its address, migration flags, BARs and migration state.
 *
 * <p>{@link #transition(MigrationState)} checks the whole move first (a refused move changes nothing), then
 * walks the kernel's path ({@link MigrationFsm#path}) one arc at a time through the {@link MigrationDriver},
 * publishing the new state after each arc. If an arc fails the device is in ERROR, as the uapi allows and as
 * QEMU then treats it (the kernel may also leave a failed device in its previous state, but its state is
 * no longer trustworthy either way); {@link #reset()} brings it back to RUNNING. A new device is RUNNING.
 *
 * <pre>{@code
 * PassthroughDevice nic = new PassthroughDevice(PciAddress.parse("0000:01:00.0"), MigrationFlags.WITH_P2P,
 *         List.of(new PciBar(0, 0x4000)), vfioDriver);
 * nic.transition(MigrationState.RUNNING_P2P);
 * MigrationDataSource state = nic.transition(MigrationState.STOP_COPY).source().orElseThrow();
 * }</pre>
 *
 * <p><b>Inbound accesses.</b> A device in STOP, STOP_COPY or RESUMING must not be touched, and reading
 * {@link #state()} and then touching the device races with a transition. Whoever touches the BARs from outside
 * the vCPU path (the policy engine forwarding a P2P access) therefore holds {@link #inboundLock()}, a shared lock:
 * while it is held no transition or reset runs, so the state read under it stays true until it is released. A
 * transition or reset waits for the accesses in flight, and new ones wait for it. When a transition or reset has
 * changed the state, the {@link StateListener}s run before any access waiting on the lock gets in: that is where
 * the policy engine replays queued writes, so none is overtaken.
 *
 * <p><b>Note:</b> thread-safe. Transitions and resets are serialized by a per-device lock; {@link #state()} is
 * one volatile read, safe on any thread without locking, and always a state the device has completely reached.
 * Never start a transition or reset on a thread that holds {@link #inboundLock()}: it would wait for itself.
 */
public final class PassthroughDevice {
    private static final Logger LOG = LoggerFactory.getLogger(PassthroughDevice.class);

    private final PciAddress address;
    private final MigrationFlags flags;
    private final List<PciBar> bars;
    private final MigrationDriver driver;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantReadWriteLock inbound = new ReentrantReadWriteLock();
    private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MigrationState state = MigrationState.RUNNING;

    /**
     * A device in RUNNING.
     *
     * @param bars its BARs, each index at most once, in any order
     * @throws IllegalArgumentException naming the BAR index if two BARs share it
     */
    public PassthroughDevice(PciAddress address, MigrationFlags flags, List<PciBar> bars, MigrationDriver driver) {
        this.address = Objects.requireNonNull(address, "address");
        this.flags = Objects.requireNonNull(flags, "migration flags of " + address);
        this.driver = Objects.requireNonNull(driver, "migration driver of " + address);
        PciBar[] byIndex = new PciBar[PciBar.COUNT];
        for (PciBar bar : bars) {
            if (byIndex[bar.index()] != null) {
                throw new IllegalArgumentException(address + ": BAR " + bar.index() + " given twice");
            }
            byIndex[bar.index()] = bar;
        }
        List<PciBar> sorted = new ArrayList<>();
        for (PciBar bar : byIndex) {
            if (bar != null) {
                sorted.add(bar);
            }
        }
        this.bars = List.copyOf(sorted);
    }

    /** The PCI address. */
    public PciAddress address() {
        return address;
    }

    /** The migration flags the device reports. */
    public MigrationFlags flags() {
        return flags;
    }

    /** The BARs, by index. */
    public List<PciBar> bars() {
        return bars;
    }

    /** The BAR with {@code index}, if the device has it. */
    public Optional<PciBar> bar(int index) {
        for (PciBar bar : bars) {
            if (bar.index() == index) {
                return Optional.of(bar);
            }
        }
        return Optional.empty();
    }

    /** The name QEMU gives the memory region of a BAR, e.g. {@code 0000:01:00.0 BAR 0}. */
    public String barRegionName(int index) {
        return address + " BAR " + index;
    }

    /** The current migration state: one volatile read, no lock. */
    public MigrationState state() {
        return state;
    }

    /**
     * The shared side of the device's inbound-access lock: hold it (briefly) around every access to the device's
     * BARs made from outside the vCPU path, after reading {@link #state()} under it. Transitions and resets take
     * the exclusive side. Reentrant; never held across a transition or reset.
     */
    public Lock inboundLock() {
        return inbound.readLock();
    }

    /**
     * Runs {@code action} with the state held still and no inbound access in flight (the exclusive side of
     * {@link #inboundLock()}, after any transition in progress), for work that must not interleave with
     * accesses, such as replaying queued writes on demand.
     *
     * @return what {@code action} returned; what it throws passes through, with both locks released
     */
    public <T> T exclusive(Supplier<T> action) {
        Objects.requireNonNull(action, "action");
        lock.lock();
        inbound.writeLock().lock();
        try {
            return action.get();
        } finally {
            inbound.writeLock().unlock();
            lock.unlock();
        }
    }

    /** As {@link #exclusive(Supplier)}, for an action that returns nothing. */
    public void exclusive(Runnable action) {
        Objects.requireNonNull(action, "action");
        exclusive(() -> {
            action.run();
            return null;
        });
    }

    /**
     * Adds {@code listener}, called after every transition or reset that changed the state (ERROR included),
     * with the exclusive side of {@link #inboundLock()} still held. Listeners run on the transitioning thread,
     * in the order added; one that throws is logged and the others still run.
     */
    public void addStateListener(StateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "state listener"));
    }

    /**
     * Removes {@code listener}.
     *
     * @return whether it was added
     */
    public boolean removeStateListener(StateListener listener) {
        return listeners.remove(listener);
    }

    private void settled(MigrationState before) {
        MigrationState now = state;
        if (now == before) {
            return;
        }
        for (StateListener l : listeners) {
            try {
                l.stateChanged(this, before, now);
            } catch (RuntimeException e) {
                LOG.warn("{}: state listener {} failed on {} -> {}", address, l, before, now, e);
            }
        }
    }

    /**
     * Checks, without touching the device, whether it could load {@code state} ({@link MigrationDriver#checkState}).
     *
     * @throws MigrationStreamException naming the device and what is wrong if it could not
     */
    public void checkState(byte[] state) throws MigrationStreamException {
        try {
            driver.checkState(Objects.requireNonNull(state, "state"));
        } catch (MigrationStreamException e) {
            throw new MigrationStreamException(address + ": " + e.getMessage());
        }
    }

    /**
     * Moves the device to {@code target} along the kernel's path, one arc at a time.
     *
     * @return the path walked and the session the last arc opened, if any
     * @throws MigrationTransitionException if the move is invalid (the device is in ERROR, or {@code target} is
     *                                      ERROR, unsupported or refused by the kernel); the device is unchanged
     * @throws MigrationDriverException     if an arc failed; the device is then in ERROR
     */
    public Transition transition(MigrationState target) {
        Objects.requireNonNull(target, "target state");
        lock.lock();
        inbound.writeLock().lock();
        MigrationState start = state;
        try {
            List<MigrationState> path = MigrationFsm.path(flags, start, target);
            MigrationData data = null;
            for (int i = 1; i < path.size(); i++) {
                MigrationState from = path.get(i - 1);
                MigrationState to = path.get(i);
                data = arc(from, to, start, target);
                state = to;
            }
            return new Transition(path, data);
        } finally {
            try {
                settled(start);
            } finally {
                inbound.writeLock().unlock();
                lock.unlock();
            }
        }
    }

    private MigrationData arc(MigrationState from, MigrationState to, MigrationState start, MigrationState target) {
        MigrationData data;
        try {
            data = driver.arc(from, to);
        } catch (Exception e) {
            state = MigrationState.ERROR;
            throw new MigrationDriverException(address + ": arc " + from + " -> " + to + " failed" + on(start, target)
                    + "; the device is in ERROR until reset: " + e.getMessage(), address, from, to, e);
        }
        String expected = to.isResuming() ? "a sink" : MigrationDriver.opensSession(from, to) ? "a source" : "nothing";
        boolean ok = to.isResuming() ? data instanceof MigrationDataSink
                : MigrationDriver.opensSession(from, to) ? data instanceof MigrationDataSource : data == null;
        if (!ok) {
            state = MigrationState.ERROR;
            throw new MigrationDriverException(address + ": arc " + from + " -> " + to + " returned "
                    + (data == null ? "nothing" : data.getClass().getName()) + ", expected " + expected
                    + on(start, target) + "; the device is in ERROR until reset", address, from, to, null);
        }
        return data;
    }

    private static String on(MigrationState start, MigrationState target) {
        return " (on the way " + start + " -> " + target + ")";
    }

    /**
     * Resets the device ({@code VFIO_DEVICE_RESET}) from any state, ERROR included: it is RUNNING afterwards,
     * and any session is over.
     *
     * @throws MigrationDriverException if the driver's reset failed; the device is then in ERROR
     */
    public void reset() {
        lock.lock();
        inbound.writeLock().lock();
        MigrationState before = state;
        try {
            try {
                driver.reset();
            } catch (Exception e) {
                state = MigrationState.ERROR;
                throw new MigrationDriverException(address + ": reset from " + before
                        + " failed; the device is in ERROR: " + e.getMessage(), address, before,
                        MigrationState.RUNNING, e);
            }
            state = MigrationState.RUNNING;
        } finally {
            try {
                settled(before);
            } finally {
                inbound.writeLock().unlock();
                lock.unlock();
            }
        }
    }

    /** {@code 0000:01:00.0 [STOP_COPY,P2P] RUNNING}. */
    @Override
    public String toString() {
        return address + " [" + flags + "] " + state;
    }
}
