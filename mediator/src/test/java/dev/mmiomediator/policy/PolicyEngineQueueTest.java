package dev.mmiomediator.policy;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ABORTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.CARRIED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ERRORS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.QUEUED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.REPLAYED;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's queue: QUEUE and ABORT_MIGRATION held and replayed exactly once in order when the target accepts,
 * nothing overtaking a held write, bounded waits with defined results, a full queue escalating to an abort, and
 * writes carried from one engine to another.
 */
class PolicyEngineQueueTest {
    /** Forward while the target accepts; otherwise queue writes and abort for reads (like queue-and-replay). */
    private static final P2pPolicy QUEUE_WRITES = RulePolicy.builder("queue-writes")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD)
            .when(Rule.any().writes()).then(Decision.QUEUE)
            .otherwise(Decision.ABORT_MIGRATION).build();
    private static final P2pPolicy ABORT = RulePolicy.builder("abort")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD)
            .otherwise(Decision.ABORT_MIGRATION).build();

    private final SimulatedPassthroughDevice nic =
            new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));
    private final List<String> aborts = Collections.synchronizedList(new ArrayList<>());
    private final List<CompletableFuture<?>> background = new ArrayList<>();

    @AfterEach
    void joinBackground() {
        background.forEach(CompletableFuture::join);
    }

    private PolicyEngine engine(P2pPolicy policy, int capacity, Duration maxWait, MigrationControl control) {
        PolicyEngine e = new PolicyEngine(policy, control, new PolicyEngine.Settings(capacity, maxWait));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        return e;
    }

    private PolicyEngine engine(P2pPolicy policy) {
        return engine(policy, 16, Duration.ofSeconds(10), aborts::add);
    }

    /** A control that, like a migration driver, cancels on another thread: the device back to RUNNING. */
    private MigrationControl resumingControl(SimulatedPassthroughDevice device) {
        AtomicInteger calls = new AtomicInteger();
        return reason -> {
            aborts.add(reason);
            if (calls.getAndIncrement() == 0) {
                background.add(CompletableFuture.runAsync(() -> {
                    sleep(50);
                    device.device().transition(MigrationState.RUNNING);
                }));
            }
        };
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static P2pAccess writeOf(long value, int length, long offset) {
        P2pAccess a = write(VIRTIO, NIC, 0, offset, length);
        for (int i = 0; i < length; i++) {
            a.data()[i] = (byte) (value >>> (8 * i));
        }
        return a;
    }

    private static long count(PolicyEngine e, PolicyCounters.Counter c) {
        return e.counters().get("virtio-net", NIC, c);
    }

    @Test
    void writesToAStoppedTargetAreHeldAndReplayedInOrderWhenItRuns() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(0x11, 4, 0x10)));
        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(0x22, 4, 0x10)));
        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(0x33, 4, 0x14)));
        assertTrue(nic.accesses().isEmpty(), "a held write touched the stopped device");
        assertEquals(3, e.heldCount(NIC));
        assertEquals(List.of(0L, 1L, 2L), e.heldWrites(NIC).stream().map(QueuedWrite::sequence).toList());

        nic.device().transition(MigrationState.RUNNING);
        assertEquals(0, e.heldCount(NIC));
        assertEquals(0x11, nic.accesses().get(0).value());
        assertEquals(0x22, nic.accesses().get(1).value());
        assertEquals(0x22, nic.mmioRead("test", 0, 0x10, 4));
        assertEquals(0x33, nic.mmioRead("test", 0, 0x14, 4));
        assertTrue(nic.violations().isEmpty());
        assertEquals(3, count(e, QUEUED));
        assertEquals(3, count(e, REPLAYED));
        assertEquals(0, count(e, FORWARDED));
    }

    @Test
    void replayHappensAtTheFirstStateThatAccepts() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        e.handle(writeOf(0x44, 4, 0));
        nic.device().transition(MigrationState.STOP_COPY);
        assertEquals(1, e.heldCount(NIC), "STOP_COPY does not accept: still held");
        nic.device().transition(MigrationState.STOP);
        nic.device().transition(MigrationState.RUNNING_P2P);
        assertEquals(0, e.heldCount(NIC));
        assertEquals(MigrationState.RUNNING_P2P, nic.accesses().get(0).state());
    }

    @Test
    void aWriteBehindAFailedReplayIsQueuedNotForwarded() {
        nic.device().transition(MigrationState.STOP);
        AtomicInteger refusals = new AtomicInteger(1);
        P2pTarget flaky = new P2pTarget() {
            private final P2pTarget real = SimulatedP2pTarget.of(nic);

            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                real.read(bar, offset, dst, length);
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                if (refusals.getAndDecrement() > 0) {
                    throw new IllegalStateException("device busy");
                }
                real.write(bar, offset, src, length);
            }
        };
        PolicyEngine e = new PolicyEngine(QUEUE_WRITES, aborts::add,
                new PolicyEngine.Settings(16, Duration.ofMillis(100)));
        e.register(nic.device(), flaky);
        e.handle(writeOf(1, 4, 0));
        e.handle(writeOf(2, 4, 0));
        nic.device().transition(MigrationState.RUNNING);
        assertEquals(2, e.heldCount(NIC), "a failed replay keeps every write");

        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(3, 4, 0)), "the policy says FORWARD, the queue wins");
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 4);
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(r), "a read may not overtake held writes");
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, r.data());
        assertEquals(1, count(e, ERRORS));

        assertEquals(3, e.replay(NIC));
        assertEquals(List.of(1L, 2L, 3L), nic.accesses().stream().map(a -> a.value()).toList());
        assertEquals(3, count(e, REPLAYED));
    }

    @Test
    void abortMigrationHoldsAWriteAndCompletesItWhenTheTargetRunsAgain() {
        nic.device().transition(MigrationState.STOP_COPY);
        PolicyEngine e = engine(ABORT);
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_QUEUED, e.handle(writeOf(0x5a, 1, 3)));
        assertEquals(1, aborts.size());
        assertTrue(aborts.get(0).contains("target STOP_COPY"), aborts.get(0));
        assertTrue(nic.accesses().isEmpty());
        nic.device().transition(MigrationState.STOP);
        nic.device().transition(MigrationState.RUNNING);
        assertEquals(0x5a, nic.mmioRead("test", 0, 3, 1));
        assertEquals(1, count(e, ABORTS));
        assertEquals(1, count(e, REPLAYED));
    }

    @Test
    void abortMigrationMakesAReadWaitForTheTargetAndThenForwardsIt() {
        nic.mmioWrite("test", 0, 0x40, 4, 0xcafef00dL);
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(ABORT, 16, Duration.ofSeconds(10), resumingControl(nic));
        P2pAccess r = read(VIRTIO, NIC, 0, 0x40, 4);
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FORWARDED, e.handle(r));
        assertArrayEquals(new byte[] {0x0d, (byte) 0xf0, (byte) 0xfe, (byte) 0xca}, r.data());
        assertEquals(1, aborts.size());
        assertEquals(1, count(e, ABORTS));
        assertEquals(1, count(e, FORWARDED));
        assertTrue(nic.violations().isEmpty());
    }

    @Test
    void aReadThatWaitsTooLongGetsAllOnesAndAnError() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(ABORT, 16, Duration.ofMillis(30), aborts::add);
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 2);
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(r));
        assertArrayEquals(new byte[] {-1, -1}, r.data());
        assertEquals(1, count(e, ERRORS));
        assertEquals(1, count(e, FAILED));
        assertEquals(1, aborts.size(), "one abort request per access, not one per retry");
    }

    @Test
    void aFullQueueEscalatesToAbortAndLosesNothing() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES, 4, Duration.ofSeconds(10), resumingControl(nic));
        for (int i = 0; i < 4; i++) {
            assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(0x100 + i, 4, 4 * i)));
        }
        assertTrue(aborts.isEmpty());
        int r = e.handle(writeOf(0x104, 4, 16));
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FORWARDED, r,
                "the fifth write waited for the cancelled migration, then went straight to the running device");
        assertEquals(1, aborts.size());
        assertTrue(aborts.get(0).contains("queue of 4 writes is full"), aborts.get(0));
        for (int i = 0; i <= 4; i++) {
            assertEquals(0x100 + i, nic.mmioRead("test", 0, 4 * i, 4), "write " + i);
        }
        assertEquals(4, count(e, REPLAYED));
        assertEquals(1, count(e, FORWARDED));
        assertEquals(0, count(e, FAILED));
    }

    @Test
    void queueForAReadIsAPolicyBug() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(RulePolicy.builder("q").otherwise(Decision.QUEUE).build());
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 1);
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(r));
        assertEquals(1, count(e, ERRORS));
    }

    @Test
    void queueOfAWriteToAnAcceptingTargetForwardsIt() {
        PolicyEngine e = engine(RulePolicy.builder("q").otherwise(Decision.QUEUE).build());
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(writeOf(9, 1, 0)));
        assertEquals(9, nic.mmioRead("test", 0, 0, 1));
    }

    @Test
    void carriedWritesAreReplayedOnTheDestinationAndNeverOnTheSource() throws IOException {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine source = engine(QUEUE_WRITES);
        source.handle(writeOf(0xa1, 1, 0));
        source.handle(writeOf(0xa2, 1, 1));
        List<QueuedWrite> stream = source.heldWrites(NIC);
        assertEquals(2, stream.size());
        ByteBuf state = nic.device().transition(MigrationState.STOP_COPY).source().orElseThrow().readAvailable();

        SimulatedPassthroughDevice twin = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000));
        twin.device().transition(MigrationState.STOP);
        twin.device().transition(MigrationState.RESUMING).sink().orElseThrow().write(state);
        PolicyEngine destination = new PolicyEngine(QUEUE_WRITES, aborts::add);
        destination.register(twin.device(), SimulatedP2pTarget.of(twin));
        P2pAccess early = writeOf(0xb1, 1, 0);
        assertEquals(MemTxResult.P2P_QUEUED, destination.handle(early), "destination write to a RESUMING target");
        destination.importHeld(stream);
        assertEquals(3, destination.heldCount(NIC));
        twin.device().transition(MigrationState.RUNNING);
        assertEquals(List.of(0xa1L, 0xa2L, 0xb1L), twin.accesses().stream().map(a -> a.value()).toList(),
                "carried writes first, then the destination's own");
        assertEquals(0xb1, twin.mmioRead("test", 0, 0, 1));

        source.confirmCarried(NIC, 2);
        assertEquals(2, source.counters().get("virtio-net", NIC, CARRIED));
        nic.device().transition(MigrationState.STOP);
        nic.device().transition(MigrationState.RUNNING);
        assertTrue(nic.accesses().isEmpty(), "a carried write must not also land on the source");
    }

    @Test
    void importRefusesAnUnknownDeviceAndImportsNothing() {
        PolicyEngine e = engine(QUEUE_WRITES);
        QueuedWrite known = new QueuedWrite(0, "virtio-net", NIC, 0, 0, new byte[] {1});
        QueuedWrite unknown = new QueuedWrite(1, "virtio-net", Requests.GPU, 0, 0, new byte[] {1});
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.importHeld(List.of(known, unknown)));
        assertTrue(x.getMessage().contains("0000:02:00.0 is not registered"), x.getMessage());
        assertEquals(0, e.heldCount(NIC));
    }

    /**
     * The engine checks a carried write's BAR and bounds itself, whatever the target would do: nothing of a list
     * with one bad write is imported, and the target is never called.
     */
    @Test
    void importRefusesAWriteOutsideItsTargetsBarsAndImportsNothing() {
        PolicyEngine e = engine(QUEUE_WRITES);
        QueuedWrite fits = new QueuedWrite(0, "virtio-net", NIC, 0, 0x1000 - 8, new byte[8]);
        for (QueuedWrite bad : List.of(new QueuedWrite(1, "virtio-net", NIC, 0, 0x1000 - 4, new byte[8]),
                new QueuedWrite(1, "virtio-net", NIC, 0, Long.MAX_VALUE, new byte[1]),
                new QueuedWrite(1, "virtio-net", NIC, 3, 0, new byte[1]))) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.importHeld(List.of(fits, bad)), bad.toString());
            assertTrue(x.getMessage().startsWith("carried write " + bad + ": ")
                    && x.getMessage().endsWith("; nothing imported"), x.getMessage());
            assertEquals(0, e.heldCount(NIC), bad.toString());
        }
        assertTrue(nic.accesses().isEmpty(), "the target saw a carried write");
        e.importHeld(List.of(fits));
        assertEquals(List.of(0L), nic.accesses().stream().map(a -> a.value()).toList(), "the write that fits lands");
    }

    @Test
    void confirmingMoreThanIsHeldIsRefused() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        e.handle(writeOf(1, 1, 0));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.confirmCarried(NIC, 2));
        assertEquals("cannot confirm 2 carried writes to 0000:01:00.0: 1 are held", x.getMessage());
        assertEquals(1, e.heldCount(NIC));
    }

    @Test
    void aDeviceWithHeldWritesCannotBeUnregistered() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        e.handle(writeOf(1, 1, 0));
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> e.unregister(NIC));
        assertTrue(x.getMessage().contains("1 held P2P writes"), x.getMessage());
        nic.device().transition(MigrationState.RUNNING);
        assertTrue(e.unregister(NIC));
    }

    @Test
    void unregisteringATargetFailsTheReadWaitingForItAtOnce() throws Exception {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(ABORT, 16, Duration.ofSeconds(30), aborts::add);
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 4);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> e.handle(r));
        while (aborts.isEmpty()) {
            Thread.onSpinWait();
        }
        assertTrue(e.unregister(NIC));
        assertEquals(MemTxResult.P2P_FAILED, waiting.get(5, TimeUnit.SECONDS) & ~MemTxResult.P2P_ABORT_MIGRATION,
                "the read retried on the unregistered target instead of waiting 30 s");
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, r.data());
        assertEquals(0, e.counters().total(ERRORS));
        assertTrue(nic.accesses().isEmpty());
    }

    @Test
    void settingsAreChecked() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> new PolicyEngine.Settings(0, Duration.ofSeconds(1)));
        assertEquals("queue capacity 0, expected 1 to 16777216", x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> new PolicyEngine.Settings(1, Duration.ZERO));
        assertEquals("max wait PT0S, expected a positive duration", x.getMessage());
    }

    @Test
    void queuedWriteChecksItsValues() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> new QueuedWrite(0, "a", NIC, 6, 0, new byte[1]));
        assertEquals("queued write to 0000:01:00.0 BAR 6, expected BAR 0 to 5", x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> new QueuedWrite(0, "a", NIC, 0, 0, new byte[0]));
        assertEquals("queued write to 0000:01:00.0 BAR 0 with no bytes", x.getMessage());
        byte[] data = {1, 2};
        QueuedWrite w = new QueuedWrite(3, "a", NIC, 0, 8, data);
        data[0] = 9;
        assertEquals(new QueuedWrite(3, "a", NIC, 0, 8, new byte[] {1, 2}), w, "the bytes are copied in");
    }

    @Test
    void settingsAcceptTheirLimits() {
        assertEquals(1 << 24, new PolicyEngine.Settings(1 << 24, Duration.ofNanos(1)).queueCapacity());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> new PolicyEngine.Settings((1 << 24) + 1, Duration.ofSeconds(1)));
        assertEquals("queue capacity 16777217, expected 1 to 16777216", x.getMessage());
        x = assertThrows(IllegalArgumentException.class, () -> new PolicyEngine.Settings(1, Duration.ofNanos(-1)));
        assertEquals("max wait PT-0.000000001S, expected a positive duration", x.getMessage());
    }

    @Test
    void aQueueOfOneHoldsExactlyOneWrite() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES, 1, Duration.ofMillis(20), aborts::add);
        assertEquals(MemTxResult.P2P_QUEUED, e.handle(writeOf(1, 4, 0)));
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.ERROR | MemTxResult.P2P_FAILED,
                e.handle(writeOf(2, 4, 0)), "the second write found the queue full and waited in vain");
        assertEquals(1, e.heldCount(NIC));
        assertEquals(1, aborts.size());
    }

    @Test
    void everyHeldWriteMayBeConfirmedCarriedButNoNegativeCount() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        e.handle(writeOf(1, 1, 0));
        e.handle(writeOf(2, 1, 1));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.confirmCarried(NIC, -1));
        assertEquals("cannot confirm -1 carried writes to 0000:01:00.0: 2 are held", x.getMessage());
        e.confirmCarried(NIC, 2);
        assertEquals(0, e.heldCount(NIC));
        assertEquals(2, count(e, CARRIED));
        assertEquals(List.of(), e.heldWrites(NIC));
    }

    @Test
    void confirmingNoCarriedWriteChangesNothing() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(QUEUE_WRITES);
        e.handle(writeOf(1, 1, 0));
        e.confirmCarried(NIC, 0);
        assertEquals(1, e.heldCount(NIC));
        assertEquals(0, count(e, CARRIED));
    }
}
