package dev.mmiomediator.vfio;

import dev.mmiomediator.pci.PciBar;

import dev.mmiomediator.pci.PciAddress;

import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Lock-free readers of {@link PassthroughDevice#state()} only ever see states of the path, in its order. */
class PassthroughDeviceConcurrencyTest {
    private static final int ROUNDS = 40;
    private static final int READERS = 3;

    /** An arc takes a little time, so readers get to see every state. */
    static final class SlowDriver implements MigrationDriver {
        @Override
        public MigrationData arc(MigrationState from, MigrationState to) {
            LockSupport.parkNanos(200_000);
            if (to == RESUMING) {
                return (MigrationDataSink) src -> src.skipBytes(src.readableBytes());
            }
            return MigrationDriver.opensSession(from, to) ? (MigrationDataSource) dst -> -1 : null;
        }

        @Override
        public void reset() {
        }
    }

    @Test
    void readersNeverSeeAStateOutsideThePathNorOutOfOrder() throws Exception {
        List<MigrationState> walk = List.of(RUNNING, RUNNING_P2P, STOP, STOP_COPY, STOP, RESUMING, STOP, RUNNING_P2P,
                RUNNING);
        Set<MigrationState> seenAnywhere = ConcurrentHashMap.newKeySet();
        List<String> failures = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            PassthroughDevice d = new PassthroughDevice(PciAddress.parse("0000:02:00.0"), MigrationFlags.WITH_P2P,
                    List.of(new PciBar(0, 0x1000)), new SlowDriver());
            AtomicBoolean done = new AtomicBoolean();
            CyclicBarrier start = new CyclicBarrier(READERS + 1);
            List<Thread> readers = new ArrayList<>();
            List<List<MigrationState>> observed = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                List<MigrationState> seen = new ArrayList<>();
                observed.add(seen);
                Thread t = new Thread(() -> {
                    await(start);
                    MigrationState last = null;
                    while (!done.get()) {
                        MigrationState s = d.state();
                        if (s != last) {
                            seen.add(s);
                            last = s;
                        }
                    }
                    MigrationState s = d.state();
                    if (s != last) {
                        seen.add(s);
                    }
                }, "state-reader-" + r);
                t.start();
                readers.add(t);
            }
            await(start);
            List<MigrationState> walked = new ArrayList<>(d.transition(STOP_COPY).path());
            walked.addAll(d.transition(RESUMING).path().subList(1, 3));
            walked.addAll(d.transition(RUNNING).path().subList(1, 4));
            done.set(true);
            for (Thread t : readers) {
                t.join(10_000);
            }
            assertEquals(walk, walked);
            for (List<MigrationState> seen : observed) {
                seenAnywhere.addAll(seen);
                if (!isSubsequence(seen, walk)) {
                    failures.add("round " + round + ": " + seen);
                }
            }
        }
        assertEquals(List.of(), failures, "readers saw states outside the path or out of order");
        assertEquals(EnumSet.of(RUNNING, RUNNING_P2P, STOP, STOP_COPY, RESUMING), EnumSet.copyOf(seenAnywhere),
                "readers should have seen every state of the path at least once");
        assertTrue(seenAnywhere.size() > 1);
    }

    private static boolean isSubsequence(List<MigrationState> seen, List<MigrationState> walk) {
        int at = 0;
        for (MigrationState s : seen) {
            while (at < walk.size() && walk.get(at) != s) {
                at++;
            }
            if (at == walk.size()) {
                return false;
            }
            at++;
        }
        return true;
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
