package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.PolicyCounters.Counter.ERRORS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.QUEUED;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Waiting accesses and the target's lock: every way an access ends releases the device's inbound lock, and
 * whatever lets a waiting access go on (a replay on demand, writes confirmed as carried, writes imported and
 * replayed) wakes it at once rather than at the end of its wait. Waits here are 30 s, so an access that was not
 * woken makes the test fail on its 10 s limit.
 */
class PolicyEngineWaitTest {
    private static final Duration LONG_WAIT = Duration.ofSeconds(30);
    private static final P2pPolicy QUEUE_WRITES = RulePolicy.builder("queue-writes")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD)
            .when(Rule.any().writes()).then(Decision.QUEUE)
            .otherwise(Decision.ABORT_MIGRATION).build();

    private final SimulatedPassthroughDevice nic =
            new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));
    private final List<String> aborts = Collections.synchronizedList(new ArrayList<>());

    /** {@code policy}, counting how often it was asked. */
    private static P2pPolicy counting(P2pPolicy policy, AtomicInteger asked) {
        return new P2pPolicy() {
            @Override
            public String name() {
                return policy.name();
            }

            @Override
            public String description() {
                return policy.description();
            }

            @Override
            public Decision decide(P2pRequest request) {
                asked.incrementAndGet();
                return policy.decide(request);
            }
        };
    }

    /** A target that refuses the first {@code refusals} writes, then writes to {@link #nic}. */
    private P2pTarget refusingFirst(int refusals) {
        AtomicInteger left = new AtomicInteger(refusals);
        P2pTarget real = SimulatedP2pTarget.of(nic);
        return new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                real.read(bar, offset, dst, length);
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                if (left.getAndDecrement() > 0) {
                    throw new IllegalStateException("device busy");
                }
                real.write(bar, offset, src, length);
            }
        };
    }

    private static P2pAccess writeOf(int value, long offset) {
        P2pAccess a = write(VIRTIO, NIC, 0, offset, 1);
        a.data()[0] = (byte) value;
        return a;
    }

    private static void until(AtomicInteger counter, int atLeast) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.get() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "the access never reached the policy");
            Thread.onSpinWait();
        }
    }

    private static <T> T within10s(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /**
     * Two writes held for {@link #nic}, whose first replay the target refused: the device accepts, the writes
     * stay held, and a read must wait behind them.
     */
    private PolicyEngine heldAfterAFailedReplay(AtomicInteger asked) {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(counting(QUEUE_WRITES, asked), aborts::add,
                new PolicyEngine.Settings(16, LONG_WAIT));
        e.register(nic.device(), refusingFirst(1));
        e.handle(writeOf(1, 0));
        e.handle(writeOf(2, 1));
        nic.device().transition(MigrationState.RUNNING);
        assertEquals(2, e.heldCount(NIC), "the refused replay keeps both writes");
        return e;
    }

    @Test
    void aReadWaitingBehindHeldWritesGoesOnWhenAReplayOnDemandSucceeds() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PolicyEngine e = heldAfterAFailedReplay(asked);
        int before = asked.get();
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 2);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> e.handle(r));
        until(asked, before + 1);
        assertEquals(2, e.replay(NIC));
        assertEquals(MemTxResult.P2P_FORWARDED, within10s(waiting));
        assertArrayEquals(new byte[] {1, 2}, r.data(), "the read saw both replayed writes");
    }

    @Test
    void aReadWaitingBehindHeldWritesGoesOnWhenImportedWritesReplay() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PolicyEngine e = heldAfterAFailedReplay(asked);
        int before = asked.get();
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 3);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> e.handle(r));
        until(asked, before + 1);
        e.importHeld(List.of(new QueuedWrite(7, "carried", NIC, 0, 2, new byte[] {3})));
        assertEquals(0, e.heldCount(NIC), "the target accepts: imported and held writes replayed at once");
        assertEquals(MemTxResult.P2P_FORWARDED, within10s(waiting));
        assertArrayEquals(new byte[] {1, 2, 3}, r.data());
        assertEquals(List.of(3L, 1L, 2L), nic.accesses().stream().limit(3).map(a -> a.value()).toList(),
                "the carried write first");
        assertEquals(1, e.counters().get("carried", NIC, QUEUED), "an imported write counts as queued");
    }

    @Test
    void aWriteWaitingForRoomIsQueuedOnceHeldWritesAreConfirmedCarried() throws Exception {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(QUEUE_WRITES, aborts::add, new PolicyEngine.Settings(1, LONG_WAIT));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(1, 0)));
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> e.handle(writeOf(2, 0)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (aborts.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the second write never found the queue full");
            Thread.onSpinWait();
        }
        e.confirmCarried(NIC, 1);
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_QUEUED, within10s(waiting));
        assertEquals(List.of(1L), e.heldWrites(NIC).stream().map(QueuedWrite::sequence).toList(),
                "the confirmed write is forgotten, the waiting one held");
        assertEquals(2, e.heldWrites(NIC).get(0).data()[0]);
    }

    @Test
    void anInterruptedWaitEndsAtOnceWithTheDefinedFailureAndKeepsTheInterrupt() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(QUEUE_WRITES, aborts::add, new PolicyEngine.Settings(16, LONG_WAIT));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 1);
        long start = System.nanoTime();
        Thread.currentThread().interrupt();
        int result = e.handle(r);
        boolean interrupted = Thread.interrupted();
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.ERROR | MemTxResult.P2P_FAILED, result);
        assertTrue(interrupted, "the interrupt was swallowed");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "the access waited on");
        assertArrayEquals(new byte[] {-1}, r.data());
    }

    @Test
    void aForwardTheTargetRefusesIsMasterAbortedAndCountedAsAnError() {
        P2pTarget refusing = new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                throw new IllegalStateException("link down");
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                throw new IllegalStateException("link down");
            }
        };
        PolicyEngine e = new PolicyEngine(QUEUE_WRITES, aborts::add);
        e.register(nic.device(), refusing);
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 2);
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(r));
        assertArrayEquals(new byte[] {-1, -1}, r.data());
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(writeOf(1, 0)));
        PolicyCounters c = e.counters();
        assertEquals(2, c.get("virtio-net", NIC, ERRORS));
        assertEquals(2, c.get("virtio-net", NIC, FAILED));
        assertEquals(0, c.get("virtio-net", NIC, FORWARDED));
    }

    @Test
    void aReplayOnDemandOfATargetThatDoesNotAcceptReplaysNothing() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(QUEUE_WRITES, aborts::add);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        e.handle(writeOf(1, 0));
        assertEquals(0, e.replay(NIC));
        assertEquals(1, e.heldCount(NIC));
        assertTrue(nic.accesses().isEmpty());
    }

    // ------------------------------------------------------------ the inbound lock

    /** Each way an access can end, on a fresh device in {@code state} with the engine deciding by {@code policy}. */
    private record Ending(String name, MigrationState state, P2pPolicy policy, P2pTarget target, boolean write) {
    }

    private static P2pPolicy deciding(String name, Decision decision) {
        return RulePolicy.builder(name).otherwise(decision).build();
    }

    private static P2pPolicy broken(boolean throwing) {
        return new P2pPolicy() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String description() {
                return "throws or says nothing";
            }

            @Override
            public Decision decide(P2pRequest request) {
                if (throwing) {
                    throw new IllegalStateException("bug");
                }
                return null;
            }
        };
    }

    @Test
    void everyWayAnAccessEndsReleasesTheTargetsInboundLock() throws Exception {
        P2pTarget refusing = new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                throw new IllegalStateException("refused");
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                throw new IllegalStateException("refused");
            }
        };
        List<Ending> endings = List.of(
                new Ending("policy threw", MigrationState.RUNNING, broken(true), null, true),
                new Ending("policy said nothing", MigrationState.RUNNING, broken(false), null, true),
                new Ending("FORWARD to a stopped target", MigrationState.STOP, deciding("f", Decision.FORWARD), null,
                        true),
                new Ending("FORWARD done", MigrationState.RUNNING, deciding("f", Decision.FORWARD), null, false),
                new Ending("FORWARD refused", MigrationState.RUNNING, deciding("f", Decision.FORWARD), refusing,
                        false),
                new Ending("FAIL", MigrationState.RUNNING, deciding("x", Decision.FAIL), null, false),
                new Ending("QUEUE for a read", MigrationState.STOP, deciding("q", Decision.QUEUE), null, false),
                new Ending("QUEUE forwarded", MigrationState.RUNNING, deciding("q", Decision.QUEUE), null, true),
                new Ending("QUEUE held", MigrationState.STOP, deciding("q", Decision.QUEUE), null, true),
                new Ending("ABORT forwarded", MigrationState.RUNNING, deciding("a", Decision.ABORT_MIGRATION), null,
                        true),
                new Ending("ABORT held", MigrationState.STOP, deciding("a", Decision.ABORT_MIGRATION), null, true));
        for (Ending ending : endings) {
            SimulatedPassthroughDevice device = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                    new PciBar(0, 0x1000));
            device.device().transition(ending.state());
            PolicyEngine e = new PolicyEngine(ending.policy(), aborts::add);
            e.register(device.device(), ending.target() != null ? ending.target() : SimulatedP2pTarget.of(device));
            e.handle(ending.write() ? writeOf(1, 0) : read(VIRTIO, NIC, 0, 0, 1));
            MigrationState next = ending.state() == MigrationState.STOP ? MigrationState.RUNNING
                    : MigrationState.RUNNING_P2P;
            CompletableFuture<?> transition = CompletableFuture.runAsync(() -> device.device().transition(next));
            try {
                transition.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException x) {
                fail(ending.name() + ": a transition on another thread still waits for the inbound lock");
            }
            assertEquals(next, device.device().state(), ending.name());
        }
    }

    @Test
    void anErrorThrownByThePolicyPropagatesAndLeavesTheTargetUsable() throws Exception {
        PolicyEngine e = new PolicyEngine(new P2pPolicy() {
            @Override
            public String name() {
                return "erring";
            }

            @Override
            public String description() {
                return "throws an Error, which the engine does not catch";
            }

            @Override
            public Decision decide(P2pRequest request) {
                throw new AssertionError("policy invariant broken");
            }
        }, aborts::add);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        AssertionError x = assertThrows(AssertionError.class, () -> e.handle(writeOf(1, 0)));
        assertEquals("policy invariant broken", x.getMessage());
        CompletableFuture<?> transition = CompletableFuture.runAsync(
                () -> nic.device().transition(MigrationState.RUNNING_P2P));
        try {
            transition.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException timeout) {
            fail("the inbound lock stayed held after the Error");
        }
        assertEquals(MigrationState.RUNNING_P2P, nic.device().state());
    }

    @Test
    void anAccessThatFindsItsTargetUnregisteredWhileWaitingReleasesTheLock() throws Exception {
        nic.device().transition(MigrationState.STOP);
        AtomicInteger asked = new AtomicInteger();
        PolicyEngine e = new PolicyEngine(counting(QUEUE_WRITES, asked), aborts::add,
                new PolicyEngine.Settings(16, LONG_WAIT));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> e.handle(read(VIRTIO, NIC, 0, 0, 1)));
        until(asked, 1);
        assertTrue(e.unregister(NIC));
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FAILED, within10s(waiting));
        CompletableFuture<?> transition = CompletableFuture.runAsync(
                () -> nic.device().transition(MigrationState.RUNNING));
        try {
            transition.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException timeout) {
            fail("the access that found its target unregistered kept the inbound lock");
        }
    }
}
