package dev.mmiomediator.policies;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * End to end through the mediator: software devices on their own threads write (and now and then read back)
 * through {@link DmaPort}s into a passthrough BAR while another thread moves the device between RUNNING and the
 * stopped states, under {@code queue-and-replay} with a small queue (so it also fills and escalates). Checked
 * against what the writers did, not against the engine: every write reached the device exactly once, each
 * writer's writes in its own order, every read-back saw that writer's latest write, the device was never touched
 * while stopped, and the BAR ends equal to the expected image.
 *
 * <p>Sizes: {@code mmio.p2p.writers} threads (default 4), {@code mmio.p2p.writes} writes each (default 100,000);
 * {@code mmio.random.seed} fixes the controller's timing (printed).
 */
class QueueAndReplayConcurrencyTest {
    private static final long BAR_ADDR = 0xfe000000L;
    private static final int BAR_SIZE = 0x4000;
    private static final int SLOTS = 64;

    @Test
    void everyWriteLandsExactlyOnceInOrderWhileTheTargetStopsAndRuns() throws Exception {
        int writers = Integer.getInteger("mmio.p2p.writers", 4);
        int writes = Integer.getInteger("mmio.p2p.writes", 100_000);
        long seed = Long.getLong("mmio.random.seed", System.nanoTime());
        System.out.println("QueueAndReplayConcurrencyTest: " + writers + " writers x " + writes
                + " writes, seed " + seed + " (-Dmmio.random.seed=" + seed + " repeats the controller's timing)");

        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(Devices.NIC, MigrationFlags.ALL,
                new PciBar(0, BAR_SIZE));
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion bar0 = sys.container(Devices.NIC + " BAR 0", Size.of(BAR_SIZE));
        bar0.addSubregion(sys.ramDevice(Devices.NIC + " BAR 0 mmaps[0]", Size.of(BAR_SIZE)), 0);
        system.addSubregion(sys.ram("pc.ram", Size.of(1 << 20)), 0);
        system.addSubregion(sys.mmio("unrelated", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0xfd000000L);
        system.addSubregion(bar0, BAR_ADDR);
        AddressSpace memory = sys.addressSpace("memory", system);
        Passthrough.declare(nic.device(), Map.of(0, bar0));

        List<long[]> landed = Collections.synchronizedList(new ArrayList<>()); // {offset, value} in device order
        AtomicInteger abortRequests = new AtomicInteger();
        PolicyEngine engine = new PolicyEngine(new QueueAndReplayPolicy(), reason -> abortRequests.incrementAndGet(),
                new PolicyEngine.Settings(64, Duration.ofSeconds(30)));
        engine.register(nic.device(), recording(SimulatedP2pTarget.of(nic), landed));
        Mediator mediator = new Mediator(memory);
        mediator.setP2pHandler(engine);

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong stoppedPhases = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        Future<?> controller = pool.submit(() -> {
            Random random = new Random(seed);
            while (!done.get()) {
                nic.device().transition(MigrationState.RUNNING_P2P);
                pause(random);
                nic.device().transition(random.nextBoolean() ? MigrationState.STOP : MigrationState.STOP_COPY);
                stoppedPhases.incrementAndGet();
                pause(random);
                nic.device().transition(MigrationState.RUNNING);
                pause(random);
            }
            return null;
        });
        List<Future<long[]>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            results.add(pool.submit(() -> writer(mediator.port(Initiator.softwareDevice("sw-" + id)), id, writes)));
        }
        long[] totals = new long[3];
        for (Future<long[]> f : results) {
            long[] r = f.get(5, TimeUnit.MINUTES);
            for (int i = 0; i < totals.length; i++) {
                totals[i] += r[i];
            }
        }
        done.set(true);
        controller.get(1, TimeUnit.MINUTES);
        pool.shutdown();
        nic.device().transition(MigrationState.RUNNING);

        PolicyCounters c = engine.counters();
        System.out.println("QueueAndReplayConcurrencyTest: " + stoppedPhases.get() + " stopped phases, "
                + totals[0] + " writes forwarded, " + totals[1] + " queued (" + c.total(PolicyCounters.Counter.QUEUED)
                + " counted, " + c.total(PolicyCounters.Counter.REPLAYED) + " replayed), " + abortRequests.get()
                + " abort requests, " + totals[2] + " read-backs");

        assertTrue(nic.violations().isEmpty(), "the device was touched while stopped: " + nic.violations().size());
        assertEquals(0, engine.heldCount(Devices.NIC));
        assertLandedExactlyOnceInOrder(landed, writers, writes);
        assertFinalImage(nic, writers, writes);
        assertEquals(totals[1], c.total(PolicyCounters.Counter.QUEUED));
        assertEquals(totals[1], c.total(PolicyCounters.Counter.REPLAYED));
        assertEquals(totals[0] + totals[2], c.total(PolicyCounters.Counter.FORWARDED));
        assertEquals(0, c.total(PolicyCounters.Counter.FAILED));
        assertTrue(totals[1] > 0 && stoppedPhases.get() > 0, "the run never queued: nothing was tested");
    }

    /**
     * Writers keep a STOP target's small queue full; a stopped phase ends when the migration control is asked to
     * abort (the controller then resumes the device, as a cancelled migration does), or after 200 ms. Every write that
     * found the queue full escalated to ABORT_MIGRATION, waited and completed; none failed, and every write
     * landed exactly once, in each writer's order.
     */
    @Test
    void aFullQueueEscalatesToAbortAndEveryWriteStillLandsExactlyOnceInOrder() throws Exception {
        int writers = 4;
        int writes = 5_000;
        int capacity = 16;
        long seed = Long.getLong("mmio.random.seed", System.nanoTime());
        System.out.println("QueueAndReplayConcurrencyTest full queue: " + writers + " writers x " + writes
                + " writes, queue of " + capacity + ", seed " + seed + " (-Dmmio.random.seed=" + seed
                + " repeats the controller's timing)");

        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(Devices.NIC, MigrationFlags.ALL,
                new PciBar(0, BAR_SIZE));
        List<long[]> landed = Collections.synchronizedList(new ArrayList<>());
        List<String> reasons = Collections.synchronizedList(new ArrayList<>());
        Semaphore abortAsked = new Semaphore(0);
        PolicyEngine engine = new PolicyEngine(new QueueAndReplayPolicy(), reason -> {
            reasons.add(reason);
            abortAsked.release();
        }, new PolicyEngine.Settings(capacity, Duration.ofSeconds(30)));
        engine.register(nic.device(), recording(SimulatedP2pTarget.of(nic), landed));

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong stoppedPhases = new AtomicLong();
        AtomicLong cancelledPhases = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        Future<?> controller = pool.submit(() -> {
            Random random = new Random(seed);
            while (!done.get()) {
                nic.device().transition(MigrationState.STOP);
                stoppedPhases.incrementAndGet();
                if (abortAsked.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    cancelledPhases.incrementAndGet();
                }
                abortAsked.drainPermits();
                nic.device().transition(MigrationState.RUNNING);
                TimeUnit.MICROSECONDS.sleep(random.nextInt(300));
            }
            return null;
        });
        List<Future<long[]>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            results.add(pool.submit(() -> {
                Initiator initiator = Initiator.softwareDevice("sw-" + id);
                long escalated = 0;
                for (long n = 0; n < writes; n++) {
                    byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value(id, n)).array();
                    int r = engine.handle(new P2pAccess(initiator, new PassthroughBar(Devices.NIC, 0),
                            slotOffset(id, n), 8, true, data));
                    if ((r & (MemTxResult.P2P_QUEUED | MemTxResult.P2P_FORWARDED)) == 0
                            || (r & MemTxResult.ERROR) != 0) {
                        throw new AssertionError("writer " + id + " write " + n + ": " + MemTxResult.describe(r));
                    }
                    if ((r & MemTxResult.P2P_ABORT_MIGRATION) != 0) {
                        escalated++;
                    }
                }
                return new long[] {escalated};
            }));
        }
        long escalated = 0;
        for (Future<long[]> f : results) {
            escalated += f.get(2, TimeUnit.MINUTES)[0];
        }
        done.set(true);
        controller.get(1, TimeUnit.MINUTES);
        pool.shutdown();

        PolicyCounters c = engine.counters();
        System.out.println("QueueAndReplayConcurrencyTest full queue: " + stoppedPhases.get() + " stopped phases, "
                + cancelledPhases.get() + " ended by an abort request, " + escalated + " writes escalated, "
                + c.total(PolicyCounters.Counter.QUEUED) + " queued, " + c.total(PolicyCounters.Counter.FORWARDED)
                + " forwarded");

        assertTrue(cancelledPhases.get() > 0 && escalated > 0, "no abort was requested (" + reasons.size()
                + " requests, " + escalated + " writes escalated): a full queue must escalate to ABORT_MIGRATION");
        assertEquals(escalated, reasons.size(), "one abort request per write that found the queue full");
        assertEquals(escalated, c.total(PolicyCounters.Counter.ABORTS));
        for (String reason : reasons) {
            assertTrue(reason.contains("the queue of " + capacity + " writes is full"), reason);
        }
        assertEquals(0, c.total(PolicyCounters.Counter.FAILED));
        assertEquals(0, engine.heldCount(Devices.NIC));
        assertEquals(c.total(PolicyCounters.Counter.QUEUED), c.total(PolicyCounters.Counter.REPLAYED));
        assertEquals((long) writers * writes,
                c.total(PolicyCounters.Counter.FORWARDED) + c.total(PolicyCounters.Counter.REPLAYED));
        assertTrue(nic.violations().isEmpty(), "the device was touched while stopped: " + nic.violations().size());
        assertLandedExactlyOnceInOrder(landed, writers, writes);
        assertFinalImage(nic, writers, writes);
    }

    /** Writes {@code writes} values round-robin into its slots; returns {forwarded, queued, read-backs}. */
    private static long[] writer(DmaPort port, int id, int writes) {
        long forwarded = 0;
        long queued = 0;
        long readBacks = 0;
        for (long n = 0; n < writes; n++) {
            long addr = BAR_ADDR + slotOffset(id, n);
            int r = port.write(addr, 8, value(id, n));
            if ((r & MemTxResult.P2P_QUEUED) != 0) {
                queued++;
            } else if ((r & MemTxResult.P2P_FORWARDED) != 0) {
                forwarded++;
            } else {
                throw new AssertionError("writer " + id + " write " + n + ": " + MemTxResult.describe(r));
            }
            if (n % 97 == 0) {
                long seen = port.read(addr, 8);
                readBacks++;
                if (seen != value(id, n)) {
                    throw new AssertionError("writer " + id + " read back 0x" + Long.toHexString(seen) + " after write "
                            + n + " (0x" + Long.toHexString(value(id, n)) + "): " + MemTxResult.describe(port.result()));
                }
            }
        }
        return new long[] {forwarded, queued, readBacks};
    }

    /** {@code target}, recording each write that reaches the device as {offset, value}, in device order. */
    private static P2pTarget recording(P2pTarget target, List<long[]> landed) {
        return new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                target.read(bar, offset, dst, length);
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                target.write(bar, offset, src, length);
                landed.add(new long[] {offset, ByteBuffer.wrap(src, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()});
            }
        };
    }

    /** Every writer's writes reached the device exactly once each, in the writer's order. */
    private static void assertLandedExactlyOnceInOrder(List<long[]> landed, int writers, int writes) {
        assertEquals((long) writers * writes, landed.size(), "writes that reached the device");
        long[] next = new long[writers];
        for (long[] w : landed) {
            int id = (int) (w[1] >>> 48);
            long n = w[1] & 0xffff_ffffL;
            assertEquals(next[id], n, "writer " + id + ": write " + n + " landed when " + next[id] + " was next");
            assertEquals(slotOffset(id, n), w[0], "writer " + id + " write " + n + " offset");
            next[id]++;
        }
    }

    /** Each slot holds its writer's last write to it; the rest of the BAR was never written. */
    private static void assertFinalImage(SimulatedPassthroughDevice nic, int writers, int writes) {
        ByteBuffer bar = ByteBuffer.wrap(nic.barContents(0)).order(ByteOrder.LITTLE_ENDIAN);
        for (int id = 0; id < writers; id++) {
            for (int slot = 0; slot < SLOTS; slot++) {
                long last = lastWriteTo(slot, writes);
                long expected = last < 0 ? 0 : value(id, last);
                assertEquals(expected, bar.getLong((int) slotOffset(id, slot)), "writer " + id + " slot " + slot);
            }
        }
        for (int off = writers * SLOTS * 8; off < BAR_SIZE; off += 8) {
            assertEquals(0, bar.getLong(off), "BAR offset 0x" + Integer.toHexString(off) + " was never written");
        }
    }

    private static long value(int id, long n) {
        return (long) id << 48 | 0xabcdL << 32 | n;
    }

    private static long slotOffset(int id, long n) {
        return (id * SLOTS + n % SLOTS) * 8;
    }

    /** The last write number that went to {@code slot}, or -1. */
    private static long lastWriteTo(int slot, int writes) {
        if (slot >= writes) {
            return -1;
        }
        return slot + (long) (writes - 1 - slot) / SLOTS * SLOTS;
    }

    private static void pause(Random random) {
        try {
            TimeUnit.MICROSECONDS.sleep(random.nextInt(2000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
