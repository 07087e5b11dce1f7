package dev.mmiomediator.benchmarks.lookup;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Java rendition of crosvm's device bus ({@code devices::Bus}): a {@code Mutex<BTreeMap<BusRange, BusEntry>>}.
 * Each access locks the mutex, finds the last range starting at or below the address and unlocks.
 *
 * <p>What the rendition keeps: one mutex taken and released per lookup ({@link ReentrantLock}: a
 * compare-and-swap to lock and a release store, close to a futex mutex when uncontended) around an ordered map
 * ({@link TreeMap#floorEntry}). crosvm also hands out a reference-counted device handle; the rendition leaves
 * that count out, which flatters crosvm. Two readers serialize on the mutex. The writer
 * ({@link #republish()}) inserts or removes one device under the same mutex.
 *
 * <p><b>Note:</b> thread-safe.
 */
public final class CrosvmLookup implements RangeLookup {
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<Long, Range> devices = new TreeMap<>();
    private final Range spare;

    /** A bus holding one device per range of {@code ranges}. */
    public CrosvmLookup(RangeMap ranges) {
        for (Range r : ranges.ranges()) {
            devices.put(r.start(), r);
        }
        long at = ranges.spareAddress();
        spare = new Range(at, at + RangeMap.LENGTH - 1);
    }

    @Override
    public Object find(long address) {
        lock.lock();
        try {
            Map.Entry<Long, Range> e = devices.floorEntry(address);
            return e != null && e.getValue().contains(address) ? e.getValue() : null;
        } finally {
            lock.unlock();
        }
    }

    /** Inserts or removes the spare device above the map, under the mutex. */
    @Override
    public void republish() {
        lock.lock();
        try {
            if (devices.remove(spare.start()) == null) {
                devices.put(spare.start(), spare);
            }
        } finally {
            lock.unlock();
        }
    }
}
