package dev.mmiomediator.benchmarks.lookup;

import dev.mmiomediator.dma.Section;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every design answers every benchmark address as a naive scan of the map does, so the suites compare like with like;
 * the sizes include maps that are not powers of two (the Eytzinger tree is then incomplete).
 */
class LookupImplTest {

    @Test
    void everyDesignFindsWhatANaiveScanFinds() {
        for (int size : new int[] {1, 2, 3, 16, 17, 1000, 1024}) {
            RangeMap map = new RangeMap(size);
            List<Long> addresses = new ArrayList<>();
            for (AddressPattern p : AddressPattern.values()) {
                for (long a : p.addresses(map, 7)) {
                    addresses.add(a);
                }
            }
            for (Range r : map.ranges()) { // every edge
                addresses.addAll(List.of(r.start(), r.last(), r.last() + 1, r.start() - 1));
            }
            addresses.addAll(List.of(map.end(), map.spareAddress(), Long.MAX_VALUE, -1L, Long.MIN_VALUE));
            for (LookupImpl impl : LookupImpl.values()) {
                RangeLookup lookup = impl.over(map);
                for (long a : addresses) {
                    assertEquals(naive(map, a), startOf(lookup.find(a)), impl + " size " + size + " at 0x" + Long.toHexString(a));
                }
            }
        }
    }

    @Test
    void writersDoNotChangeWhatReadersFind() {
        RangeMap map = new RangeMap(64);
        for (LookupImpl impl : List.of(LookupImpl.MEDIATOR, LookupImpl.CHV, LookupImpl.CROSVM)) {
            RangeLookup lookup = impl.over(map);
            for (int i = 0; i < 3; i++) {
                lookup.republish();
                for (long a : AddressPattern.RANDOM.addresses(map, i)) {
                    assertEquals(naive(map, a), startOf(lookup.find(a)), impl + " at 0x" + Long.toHexString(a));
                }
            }
        }
    }

    private static Long naive(RangeMap map, long address) {
        for (Range r : map.ranges()) {
            if (r.contains(address)) {
                return r.start();
            }
        }
        return null;
    }

    private static Long startOf(Object found) {
        if (found == null) {
            return null;
        }
        return found instanceof Section s ? s.start() : ((Range) found).start();
    }
}
