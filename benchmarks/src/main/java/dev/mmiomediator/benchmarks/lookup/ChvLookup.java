package dev.mmiomediator.benchmarks.lookup;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

/**
 * A Java rendition of cloud-hypervisor's device bus ({@code vm-device}'s {@code Bus}): a
 * {@code RwLock<BTreeMap<BusRange, Weak<dyn BusDevice>>>}. Each access takes the read lock, finds the last range
 * starting at or below the address, and upgrades the device's {@code Weak} to an {@code Arc} (an atomic
 * increment of the device's reference count, decremented again when the access drops it).
 *
 * <p>What the rendition keeps: a read-write lock taken and released per lookup ({@link StampedLock} in
 * pessimistic read mode, like Rust's futex {@code RwLock}: one compare-and-swap to lock, one to unlock, not
 * reentrant), an ordered map ({@link TreeMap#floorEntry} for {@code range(..=addr).next_back()}), and an
 * {@link AtomicLong} reference count per device incremented and decremented per lookup. With two readers the
 * lock word is written by both on every access, so its cache line bounces between the cores; that, not the
 * tree, is what the concurrent suite shows. The writer ({@link #republish()}) inserts or removes one device
 * under the write lock, as {@code Bus::insert}/{@code remove} do.
 *
 * <p><b>Note:</b> thread-safe.
 */
public final class ChvLookup implements RangeLookup {
    private final StampedLock lock = new StampedLock();
    private final TreeMap<Long, Device> devices = new TreeMap<>();
    private final Device spare;

    /** A bus holding one device per range of {@code ranges}. */
    public ChvLookup(RangeMap ranges) {
        for (Range r : ranges.ranges()) {
            devices.put(r.start(), new Device(r));
        }
        long at = ranges.spareAddress();
        spare = new Device(new Range(at, at + RangeMap.LENGTH - 1));
    }

    @Override
    public Object find(long address) {
        Device d = null;
        long stamp = lock.readLock();
        try {
            Map.Entry<Long, Device> e = devices.floorEntry(address);
            if (e != null && e.getValue().range.contains(address)) {
                d = e.getValue();
                d.strong.incrementAndGet(); // Weak::upgrade
            }
        } finally {
            lock.unlockRead(stamp);
        }
        if (d == null) {
            return null;
        }
        d.strong.decrementAndGet(); // the Arc is dropped once the access is done
        return d.range;
    }

    /** Inserts or removes the spare device above the map, under the write lock. */
    @Override
    public void republish() {
        long stamp = lock.writeLock();
        try {
            if (devices.remove(spare.range.start()) == null) {
                devices.put(spare.range.start(), spare);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** A device on the bus: its range and the strong count of its {@code Arc}. */
    private static final class Device {
        final Range range;
        final AtomicLong strong = new AtomicLong(1);

        Device(Range range) {
            this.range = range;
        }
    }
}
