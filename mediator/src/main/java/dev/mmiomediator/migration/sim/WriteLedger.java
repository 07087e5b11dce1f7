package dev.mmiomediator.migration.sim;

import dev.mmiomediator.pci.PciAddress;
import it.unimi.dsi.fastutil.longs.Long2IntMap;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import it.unimi.dsi.fastutil.longs.LongSet;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The per-write integrity check of a simulated migration: the identities of the P2P writes the mediator accepted
 * ({@link SoftwareDevice#acceptedIdentities()}), per target device, against the identities each device took
 * ({@link dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice#writeLedger()}, replays included, the source's
 * part carried in the device state). Each identity is judged on its own, so one lost write and one duplicated
 * write are two faults, not a difference of zero.
 *
 * <p>Thread-safe: stateless.
 */
public final class WriteLedger {
    /**
     * The outcome of one check.
     *
     * @param accepted     P2P writes the mediator accepted
     * @param taken        writes the devices took, by their ledgers
     * @param lost         accepted writes their target device never took
     * @param duplicated   takes beyond the one each accepted write is owed: a write taken twice counts 1, a write
     *                     taken that was never accepted for that device counts every time it was taken
     * @param unrecorded   writes the devices took while their ledger was full; when not 0 the check is incomplete
     *                     (lost may be overcounted)
     * @param firstProblem one lost or duplicated write, described, or empty
     */
    public record Check(long accepted, long taken, long lost, long duplicated, long unrecorded,
                        String firstProblem) {
        /** Whether each accepted write was taken exactly once, nothing else was taken, and the ledgers are complete. */
        public boolean exact() {
            return lost == 0 && duplicated == 0 && unrecorded == 0;
        }
    }

    private WriteLedger() {
    }

    /**
     * Compares what was accepted with what was taken, per device and per identity.
     *
     * @param accepted   per target device, the accepted identities
     * @param taken      per device, its ledger (in any order; repeats are takes)
     * @param unrecorded writes taken that no ledger holds
     */
    public static Check check(Map<PciAddress, ? extends LongSet> accepted, Map<PciAddress, long[]> taken,
                              long unrecorded) {
        long acceptedCount = 0;
        long takenCount = 0;
        long lost = 0;
        long duplicated = 0;
        String first = "";
        Set<PciAddress> devices = new LinkedHashSet<>(accepted.keySet());
        devices.addAll(taken.keySet());
        for (PciAddress device : devices) {
            LongSet want = accepted.containsKey(device) ? accepted.get(device) : LongSet.of();
            long[] got = taken.getOrDefault(device, new long[0]);
            Long2IntOpenHashMap times = new Long2IntOpenHashMap(got.length);
            for (long id : got) {
                times.addTo(id, 1);
            }
            acceptedCount += want.size();
            takenCount += got.length;
            for (long id : want) {
                if (!times.containsKey(id)) {
                    lost++;
                    if (first.isEmpty()) {
                        first = device + ": write " + describe(id) + " was accepted and never taken";
                    }
                }
            }
            for (Long2IntMap.Entry e : times.long2IntEntrySet()) {
                int owed = want.contains(e.getLongKey()) ? 1 : 0;
                if (e.getIntValue() > owed) {
                    duplicated += e.getIntValue() - owed;
                    if (first.isEmpty()) {
                        first = device + ": write " + describe(e.getLongKey()) + " was taken " + e.getIntValue()
                                + " times, " + (owed == 1 ? "accepted once" : "never accepted for this device");
                    }
                }
            }
        }
        return new Check(acceptedCount, takenCount, lost, duplicated, unrecorded, first);
    }

    /** The union, per device, of several sides' accepted identities. */
    public static Map<PciAddress, LongOpenHashSet> union(Collection<Map<PciAddress, long[]>> sides) {
        Map<PciAddress, LongOpenHashSet> out = new LinkedHashMap<>();
        for (Map<PciAddress, long[]> side : sides) {
            side.forEach((device, ids) -> out.computeIfAbsent(device, k -> new LongOpenHashSet()).addAll(
                    new LongOpenHashSet(ids)));
        }
        return out;
    }

    /** {@code 0x0001000000000004 (initiator 1, #4)}. */
    static String describe(long identity) {
        return String.format("0x%016x (initiator %d, #%d)", identity, SoftwareDevice.initiatorId(identity),
                identity & ((1L << SoftwareDevice.SEQUENCE_BITS) - 1));
    }
}
