package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.RamBacking;
import dev.mmiomediator.memory.Size;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Every access sees exactly one topology snapshot while another thread keeps changing the topology.
 *
 * <p>Addresses {@code [0, 0x20000)} show either RAM A or RAM B, through 32 aliases of 4 KiB each (container
 * {@code over}, priority 1, over container {@code under}). The aliases show their RAM's pages in a scrambled
 * order, so neighbouring windows never merge and every access longer than a few bytes spans several sections,
 * each looked up separately. A and B are filled so that, through the windows, address {@code a} reads
 * {@link #patternA}{@code (a)} or {@link #patternB}{@code (a)}, which differ at every address. A topology
 * thread flips {@code over} on and off, and moves it away and back, so that the whole range flips between A
 * and B. Meanwhile:
 * <ul>
 *   <li>readers (software devices and the vCPU) read random ranges of {@code [0, 0x10000)} in bulk and as
 *       8-byte values across window edges: every access must read all of A's pattern or all of B's;</li>
 *   <li>writers each own a 256-byte slot of {@code [0x10000, 0x20000)} across a window edge and write it whole
 *       with a new byte value each time: afterwards the slot's bytes in A and in B must each be uniform (a torn
 *       write would leave part of one slot old), and one of them the new value.</li>
 * </ul>
 * Runs for {@code mmio.concurrency.millis} (default 2000) milliseconds, and on past that (up to a minute) until the
 * topology has flipped and the readers have seen A and B often enough to mean something, so that a loaded machine
 * (or PIT's short setting) gets a slower run rather than a failure.
 */
class DmaSnapshotConcurrencyTest {
    private static final int PAGE = 0x1000;
    private static final int PAGES = 32;
    private static final int READ_SPAN = 0x10000;
    private static final int WRITERS = 2;
    private static final int READERS = 3;
    private static final int SLOT = 256;
    /** Flips, and reads of all of A and of all of B, a run must see before it stops. */
    private static final int ENOUGH = 100;
    private static final long HARD_LIMIT_NANOS = 60_000_000_000L;

    /** Which page of its RAM the alias at page {@code i} shows: a permutation with no two neighbours adjacent. */
    private static int page(int i) {
        return (i * 7 + 3) % PAGES;
    }

    static byte patternA(long a) {
        return (byte) (a * 31 + (a >>> 8) * 7 + 0x11);
    }

    static byte patternB(long a) {
        return (byte) ~patternA(a);
    }

    /** The offset in A or B behind address {@code a} of the window range. */
    private static long backingOffset(long a) {
        return (long) page((int) (a / PAGE)) * PAGE + a % PAGE;
    }

    private static long slotAddress(int writer) {
        return READ_SPAN + (long) writer * 2 * PAGE + PAGE - SLOT / 2; // across the edge of two windows
    }

    @Test
    void everyAccessSeesOneSnapshotWhileTheTopologyFlips() throws Exception {
        long millis = Long.getLong("mmio.concurrency.millis", 2000);
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion a = sys.ram("A", Size.of((long) PAGES * PAGE));
        MemoryRegion b = sys.ram("B", Size.of((long) PAGES * PAGE));
        ByteBuf bMemory = Unpooled.directBuffer(PAGES * PAGE, PAGES * PAGE);
        b.setRamBacking(new ByteBufRam(bMemory));
        for (long addr = 0; addr < (long) PAGES * PAGE; addr++) {
            a.ramBacking().write(backingOffset(addr), 1, patternA(addr));
            b.ramBacking().write(backingOffset(addr), 1, patternB(addr));
        }
        for (int w = 0; w < WRITERS; w++) {
            for (int i = 0; i < SLOT; i++) { // uniform slots to start with
                a.ramBacking().write(backingOffset(slotAddress(w) + i), 1, 0);
                b.ramBacking().write(backingOffset(slotAddress(w) + i), 1, 0);
            }
        }
        MemoryRegion over = sys.container("over", Size.of((long) PAGES * PAGE));
        MemoryRegion under = sys.container("under", Size.of((long) PAGES * PAGE));
        for (int i = 0; i < PAGES; i++) {
            over.addSubregion(sys.alias("A" + i, a, (long) page(i) * PAGE, Size.of(PAGE)), (long) i * PAGE);
            under.addSubregion(sys.alias("B" + i, b, (long) page(i) * PAGE, Size.of(PAGE)), (long) i * PAGE);
        }
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(under, 0, 0);
            system.addSubregion(over, 0, 1);
        }
        Mediator mediator = new Mediator(sys.addressSpace("memory", system));
        assertTrue(mediator.view(Initiator.vcpu()).size() >= PAGES, "windows must not merge");

        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000L;
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong accesses = new AtomicLong();
        AtomicLong flips = new AtomicLong();
        AtomicLong sawA = new AtomicLong();
        AtomicLong sawB = new AtomicLong();
        BooleanSupplier running = () -> {
            if (failure.get() != null) {
                return false;
            }
            long now = System.nanoTime();
            boolean enough = flips.get() > ENOUGH && sawA.get() > ENOUGH && sawB.get() > ENOUGH;
            return now < deadline || (!enough && now - start < HARD_LIMIT_NANOS);
        };
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            Initiator who = r == 0 ? Initiator.vcpu() : Initiator.softwareDevice("reader-" + r);
            DmaPort port = mediator.port(who);
            long seed = r;
            threads.add(new Thread(() -> read(port, seed, running, failure, accesses, sawA, sawB), "reader-" + r));
        }
        for (int w = 0; w < WRITERS; w++) {
            DmaPort port = mediator.port(Initiator.softwareDevice("writer-" + w));
            int slot = w;
            threads.add(new Thread(() -> write(port, slot, a.ramBacking(), b.ramBacking(), running, failure,
                    accesses), "writer-" + w));
        }
        threads.add(new Thread(() -> flip(sys, over, running, failure, flips), "topology"));
        try {
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join(millis + HARD_LIMIT_NANOS / 1_000_000 + 30_000);
            }
        } finally {
            bMemory.release();
        }
        System.out.printf("DmaSnapshotConcurrencyTest: %d accesses (%d reads all of A, %d all of B) during %d "
                + "topology changes in %d ms%n", accesses.get(), sawA.get(), sawB.get(), flips.get(),
                (System.nanoTime() - start) / 1_000_000);
        assertNull(failure.get());
        assertTrue(flips.get() > ENOUGH, "only " + flips.get() + " topology changes");
        assertTrue(sawA.get() > ENOUGH && sawB.get() > ENOUGH, "reads of A " + sawA.get() + ", of B " + sawB.get());
    }

    private static void flip(MemorySystem sys, MemoryRegion over, BooleanSupplier running, AtomicReference<String> failure,
                             AtomicLong flips) {
        SplittableRandom rnd = new SplittableRandom(42);
        try {
            while (running.getAsBoolean()) {
                switch (rnd.nextInt(3)) {
                    case 0:
                        over.setEnabled(!over.isEnabled());
                        break;
                    case 1:
                        over.setAddress(over.address() == 0 ? 0x100000 : 0);
                        break;
                    default:
                        try (MemorySystem.Transaction tx = sys.begin()) { // two changes, one render
                            over.setEnabled(!over.isEnabled());
                            over.setAddress(over.address() == 0 ? 0x100000 : 0);
                        }
                        break;
                }
                flips.incrementAndGet();
                if (rnd.nextInt(8) == 0) {
                    Thread.yield();
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, "topology thread: " + e);
        }
    }

    private static void read(DmaPort port, long seed, BooleanSupplier running, AtomicReference<String> failure,
                             AtomicLong accesses, AtomicLong sawA, AtomicLong sawB) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] dst = new byte[3 * PAGE];
        ByteBuf buf = Unpooled.buffer(3 * PAGE);
        try {
            while (running.getAsBoolean()) {
                int kind = rnd.nextInt(3);
                long addr;
                int len;
                byte[] got;
                if (kind == 0) {
                    addr = (long) (1 + rnd.nextInt(READ_SPAN / PAGE - 1)) * PAGE - 1 - rnd.nextInt(7);
                    len = 8;
                    long v = port.read(addr, 8);
                    got = new byte[8];
                    for (int i = 0; i < 8; i++) {
                        got[i] = (byte) (v >>> (8 * i));
                    }
                } else {
                    len = 1 + rnd.nextInt(dst.length);
                    addr = rnd.nextInt(READ_SPAN - len + 1);
                    if (kind == 1) {
                        port.read(addr, dst, 0, len);
                        got = dst;
                    } else {
                        buf.clear();
                        port.read(addr, buf, len);
                        got = new byte[len];
                        buf.getBytes(0, got);
                    }
                }
                accesses.incrementAndGet();
                boolean isA = got[0] == patternA(addr);
                for (int i = 0; i < len; i++) {
                    byte expected = isA ? patternA(addr + i) : patternB(addr + i);
                    if (got[i] != expected) {
                        failure.compareAndSet(null, port.initiator() + " read " + len + " bytes at 0x"
                                + Long.toHexString(addr) + ": byte " + i + " is " + (got[i] & 0xff) + ", expected "
                                + (expected & 0xff) + " (pattern " + (isA ? "A" : "B") + " from byte 0): two "
                                + "snapshots in one access");
                        return;
                    }
                }
                (isA ? sawA : sawB).incrementAndGet();
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, port.initiator() + ": " + e);
        } finally {
            buf.release();
        }
    }

    private static void write(DmaPort port, int slot, RamBacking a, RamBacking b, BooleanSupplier running,
                              AtomicReference<String> failure, AtomicLong accesses) {
        long addr = slotAddress(slot);
        byte[] block = new byte[SLOT];
        ByteBuf buf = Unpooled.directBuffer(SLOT);
        int k = 0;
        try {
            while (running.getAsBoolean()) {
                k = (k + 1) & 0xff;
                Arrays.fill(block, (byte) k);
                int r;
                if (k % 2 == 0) {
                    r = port.write(addr, block, 0, SLOT);
                } else {
                    buf.clear().writeBytes(block);
                    r = port.write(addr, buf, SLOT);
                }
                accesses.incrementAndGet();
                if (r != MemTxResult.OK) {
                    failure.compareAndSet(null, port.initiator() + " write: " + MemTxResult.describe(r));
                    return;
                }
                String inA = uniform(a, addr);
                String inB = uniform(b, addr);
                String expected = Integer.toString(k);
                if (inA == null || inB == null || !(inA.equals(expected) || inB.equals(expected))) {
                    failure.compareAndSet(null, port.initiator() + " wrote " + k + " to its slot at 0x"
                            + Long.toHexString(addr) + ": in A the slot is " + describe(a, addr) + ", in B "
                            + describe(b, addr) + ": one write in two snapshots");
                    return;
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, port.initiator() + ": " + e);
        } finally {
            buf.release();
        }
    }

    /** The value every byte of the slot at {@code addr} has in {@code ram}, or {@code null} if they differ. */
    private static String uniform(RamBacking ram, long addr) {
        long first = ram.read(backingOffset(addr), 1);
        for (int i = 1; i < SLOT; i++) {
            if (ram.read(backingOffset(addr + i), 1) != first) {
                return null;
            }
        }
        return Long.toString(first);
    }

    private static String describe(RamBacking ram, long addr) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < SLOT; i += 16) {
            sb.append(ram.read(backingOffset(addr + i), 1)).append(i + 16 < SLOT ? " " : "]");
        }
        return sb.toString();
    }
}
