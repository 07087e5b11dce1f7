package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.PassthroughMap.bar;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.fixtures.RandomCampaign;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine's counters under concurrency: several threads make P2P accesses to two devices (four through ports
 * of their own, two ports per initiator, which count in the port's cells; one through accesses made with the
 * public constructor, which count in the row), while one device keeps changing state and a reader takes
 * {@link PolicyEngine#counters()} over and over. Each thread counts, from the results it got, what it expects; the
 * reader checks that no counter ever goes down, and at the end every (initiator, device, counter) equals the sum of
 * the threads' own counts exactly. No access reaches a device that does not accept (the transitions wait for the
 * accesses in flight).
 *
 * <p>System properties: {@code mmio.random.seed} (default random; thread {@code i} uses {@code seed + i}) and
 * {@code mmio.random.p2pCountAccesses} (accesses per thread, default 20,000).
 */
class PolicyEngineCountsConcurrencyTest {
    private static final PolicyCounters.Counter[] CHECKED = {FAULTS, FORWARDED, FAILED};
    private static final int PORT_THREADS = 4;
    private static final long DEADLINE_SECONDS = 120;

    /** Forwards when the target accepts and the offset's bit 3 is clear, else fails. */
    private static final P2pPolicy POLICY = new P2pPolicy() {
        @Override
        public String name() {
            return "forward-if-accepts-and-even";
        }

        @Override
        public String description() {
            return "forwards when the target accepts and the offset's bit 3 is clear";
        }

        @Override
        public Decision decide(P2pRequest request) {
            return request.targetAccepts() && (request.access().barOffset() & 8) == 0 ? Decision.FORWARD
                    : Decision.FAIL;
        }
    };

    /** One thread's own count of its results, per (initiator, device) and counter. */
    private static final class Tally {
        final Map<PolicyCounters.Key, long[]> counts = new HashMap<>();

        void add(PolicyCounters.Key key, int result) {
            long[] c = counts.computeIfAbsent(key, k -> new long[CHECKED.length]);
            c[0]++;
            if (result == MemTxResult.P2P_FORWARDED) {
                c[1]++;
            } else if (result == MemTxResult.P2P_FAILED) {
                c[2]++;
            } else {
                throw new AssertionError("unexpected result " + MemTxResult.describe(result) + " for " + key);
            }
        }
    }

    @Test
    void countsAreExactAndNeverGoDownWhileThreadsCount() throws Exception {
        long seed = RandomCampaign.seed();
        long accesses = RandomCampaign.size("mmio.random.p2pCountAccesses", 20_000);
        System.out.println("PolicyEngineCountsConcurrencyTest: mmio.random.seed=" + seed
                + " mmio.random.p2pCountAccesses=" + accesses);

        PassthroughMap map = new PassthroughMap(2);
        PolicyEngine engine = new PolicyEngine(POLICY, reason -> { });
        map.mediator.setP2pHandler(engine);
        List<SimulatedPassthroughDevice> devices = List.of(map.device(0), map.device(1));
        for (SimulatedPassthroughDevice d : devices) {
            engine.register(d.device(), SimulatedP2pTarget.of(d));
        }

        int threads = PORT_THREADS + 1;
        Tally[] tallies = new Tally[threads];
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            int id = w;
            Tally tally = new Tally();
            tallies[w] = tally;
            String initiator = "dev" + (w % 2);
            workers.add(new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed + id);
                Initiator who = Initiator.softwareDevice(initiator);
                DmaPort port = id < PORT_THREADS ? map.mediator.port(who) : null;
                try {
                    start.await();
                    for (long i = 0; i < accesses; i++) {
                        int d = random.nextInt(2);
                        long offset = 8L * random.nextInt(PassthroughMap.BAR_SIZE / 8);
                        boolean write = random.nextBoolean();
                        int result;
                        if (port != null) {
                            result = write ? port.write(bar(d) + offset, 8, i) : readResult(port, bar(d) + offset);
                        } else {
                            result = engine.handle(new P2pAccess(who, new PassthroughBar(map.addresses.get(d), 0),
                                    offset, 8, write, new byte[8]));
                        }
                        tally.add(new PolicyCounters.Key(initiator, map.addresses.get(d)), result);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "p2p-counter-" + w));
        }
        // device 0 keeps changing state, so decisions change under the accesses
        Thread toggler = new Thread(() -> {
            try {
                start.await();
                while (!done.get()) {
                    devices.get(0).device().transition(MigrationState.STOP);
                    devices.get(0).device().transition(MigrationState.RUNNING);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "p2p-counter-toggler");
        Map<String, Long> last = new HashMap<>();
        long[] reads = new long[1];
        Thread reader = new Thread(() -> {
            try {
                start.await();
                while (!done.get()) {
                    checkMonotone(engine.counters(), last);
                    reads[0]++;
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "p2p-counter-reader");

        workers.forEach(Thread::start);
        toggler.start();
        reader.start();
        start.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        for (Thread t : workers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        done.set(true);
        toggler.join(TimeUnit.SECONDS.toMillis(10));
        reader.join(TimeUnit.SECONDS.toMillis(10));
        for (Thread t : workers) {
            if (t.isAlive()) {
                fail(t.getName() + " still running after " + DEADLINE_SECONDS + " s (seed " + seed + ")");
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("seed " + seed + ": " + failure.get(), failure.get());
        }
        assertTrue(!toggler.isAlive() && !reader.isAlive(), "toggler or reader still running");

        PolicyCounters end = engine.counters();
        checkMonotone(end, last);
        Map<PolicyCounters.Key, long[]> expected = new HashMap<>();
        for (Tally t : tallies) {
            t.counts.forEach((k, c) -> {
                long[] sum = expected.computeIfAbsent(k, x -> new long[CHECKED.length]);
                for (int i = 0; i < c.length; i++) {
                    sum[i] += c[i];
                }
            });
        }
        assertEquals(expected.keySet(), end.keys(), "seed " + seed);
        long total = 0;
        for (Map.Entry<PolicyCounters.Key, long[]> e : expected.entrySet()) {
            for (int i = 0; i < CHECKED.length; i++) {
                assertEquals(e.getValue()[i], end.get(e.getKey().initiator(), e.getKey().target(), CHECKED[i]),
                        e.getKey() + " " + CHECKED[i] + " (seed " + seed + ")");
            }
            total += e.getValue()[0];
        }
        assertEquals(threads * accesses, total);
        assertTrue(end.total(FORWARDED) > 0 && end.total(FAILED) > 0, "both outcomes happened: " + end);
        for (SimulatedPassthroughDevice d : devices) {
            assertTrue(d.violations().isEmpty(), "seed " + seed + ": " + d.violations());
        }
        System.out.println("PolicyEngineCountsConcurrencyTest: " + total + " accesses, " + reads[0]
                + " counter reads while counting");
    }

    /** A port's 8-byte read, as its MemTxResult bits. */
    private static int readResult(DmaPort port, long addr) {
        port.read(addr, 8);
        return port.result();
    }

    /** Checks that no counter in {@code now} is below its value in {@code last}, and remembers it there. */
    private static void checkMonotone(PolicyCounters now, Map<String, Long> last) {
        for (PolicyCounters.Key k : now.keys()) {
            for (PolicyCounters.Counter c : PolicyCounters.Counter.values()) {
                long v = now.get(k.initiator(), k.target(), c);
                String name = k + " " + c;
                Long before = last.put(name, v);
                if (before != null && v < before) {
                    throw new AssertionError(name + " went down from " + before + " to " + v);
                }
            }
        }
    }
}
