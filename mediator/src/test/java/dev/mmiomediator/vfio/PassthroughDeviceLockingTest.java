package dev.mmiomediator.vfio;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

/**
 * The device's locks and state listeners on every way out of a transition or reset: completed, refused, failed by
 * the driver, or interrupted by a listener that throws an {@link Error}. Whichever way a call ends, the device
 * must be free for the next caller on another thread (the lock and the exclusive side of the inbound lock are
 * released), and the listeners hear of every state change, resets included.
 */
class PassthroughDeviceLockingTest {
    private static final PciAddress ADDR = PciAddress.parse("0000:03:00.0");
    private static final long TIMEOUT_SECONDS = 5;

    /** A driver whose arcs and resets succeed unless told to fail; sessions as the uapi says. */
    static final class Driver implements MigrationDriver {
        boolean failArcs;
        boolean failReset;
        int resets;

        @Override
        public MigrationData arc(MigrationState from, MigrationState to) throws IOException {
            if (failArcs) {
                throw new IOException("EIO");
            }
            if (to.isResuming()) {
                return (MigrationDataSink) src -> src.skipBytes(src.readableBytes());
            }
            return MigrationDriver.opensSession(from, to) ? (MigrationDataSource) dst -> -1 : null;
        }

        @Override
        public void reset() throws IOException {
            resets++;
            if (failReset) {
                throw new IOException("reset timed out");
            }
        }
    }

    /** Records each change as {@code BEFORE->NOW}. */
    static final class Recorder implements StateListener {
        final List<String> changes = new ArrayList<>();

        @Override
        public void stateChanged(PassthroughDevice device, MigrationState before, MigrationState now) {
            changes.add(before + "->" + now);
        }
    }

    private final Driver driver = new Driver();
    private final PassthroughDevice device = new PassthroughDevice(ADDR, MigrationFlags.WITH_P2P,
            List.of(new PciBar(0, 0x1000)), driver);

    /**
     * Fails unless another thread can take the shared inbound lock (so the exclusive side was released) and then
     * run a transition (so the transition lock was released).
     */
    private void assertFreeForAnotherThread() throws Exception {
        CompletableFuture<Boolean> inbound = CompletableFuture.supplyAsync(() -> {
            Lock l = device.inboundLock();
            try {
                if (!l.tryLock(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            l.unlock();
            return true;
        }, PassthroughDeviceLockingTest::onNewThread);
        assertTrue(inbound.get(2 * TIMEOUT_SECONDS, TimeUnit.SECONDS), "the inbound lock is still held exclusively");
        MigrationState now = device.state();
        CompletableFuture<Transition> again = CompletableFuture.supplyAsync(() -> device.transition(now == ERROR
                ? RUNNING : now), PassthroughDeviceLockingTest::onNewThread);
        try {
            again.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the transition lock is still held: another thread cannot transition", e);
        } catch (java.util.concurrent.ExecutionException e) {
            // refused (the device is in ERROR): the call got past the lock, which is what is checked here
            assertTrue(e.getCause() instanceof MigrationTransitionException, e.getCause().toString());
        }
    }

    /** A daemon thread per check, so that a device left locked cannot hold up anything else. */
    private static void onNewThread(Runnable r) {
        Thread t = new Thread(r, "other caller");
        t.setDaemon(true);
        t.start();
    }

    private static StateListener throwingError() {
        return (d, before, now) -> {
            throw new AssertionError("listener breaks on " + before + "->" + now);
        };
    }

    @Test
    void aCompletedTransitionLeavesTheDeviceFree() throws Exception {
        device.transition(STOP);
        assertFreeForAnotherThread();
    }

    @Test
    void aRefusedTransitionLeavesTheDeviceFree() throws Exception {
        assertThrows(MigrationTransitionException.class, () -> device.transition(ERROR));
        assertFreeForAnotherThread();
    }

    @Test
    void aFailedArcLeavesTheDeviceFree() throws Exception {
        driver.failArcs = true;
        assertThrows(MigrationDriverException.class, () -> device.transition(STOP));
        assertEquals(ERROR, device.state());
        assertFreeForAnotherThread();
    }

    @Test
    void aListenerThrowingAnErrorAfterATransitionPropagatesAndLeavesTheDeviceFree() throws Exception {
        device.addStateListener(throwingError());
        AssertionError e = assertThrows(AssertionError.class, () -> device.transition(RUNNING_P2P));
        assertEquals("listener breaks on RUNNING->RUNNING_P2P", e.getMessage());
        assertEquals(RUNNING_P2P, device.state());
        assertFreeForAnotherThread();
    }

    @Test
    void aListenerThrowingAnErrorAfterAFailedArcLeavesTheDeviceFree() throws Exception {
        device.addStateListener(throwingError());
        driver.failArcs = true;
        assertThrows(AssertionError.class, () -> device.transition(STOP));
        assertEquals(ERROR, device.state());
        assertFreeForAnotherThread();
    }

    @Test
    void aCompletedResetLeavesTheDeviceFree() throws Exception {
        device.transition(STOP_COPY);
        device.reset();
        assertFreeForAnotherThread();
    }

    @Test
    void aFailedResetLeavesTheDeviceFree() throws Exception {
        driver.failReset = true;
        assertThrows(MigrationDriverException.class, device::reset);
        assertFreeForAnotherThread();
    }

    @Test
    void aListenerThrowingAnErrorAfterAResetLeavesTheDeviceFree() throws Exception {
        device.transition(STOP);
        device.addStateListener(throwingError());
        assertThrows(AssertionError.class, device::reset);
        assertEquals(RUNNING, device.state());
        assertFreeForAnotherThread();
    }

    @Test
    void aListenerThrowingAnErrorAfterAFailedResetLeavesTheDeviceFree() throws Exception {
        device.addStateListener(throwingError());
        driver.failReset = true;
        assertThrows(AssertionError.class, device::reset);
        assertEquals(ERROR, device.state());
        assertFreeForAnotherThread();
    }

    @Test
    void exclusiveReleasesTheDeviceAfterTheAction() throws Exception {
        boolean[] ran = {false};
        device.exclusive(() -> ran[0] = true);
        assertTrue(ran[0]);
        assertFreeForAnotherThread();
    }

    @Test
    void aResetOutOfErrorTellsTheListeners() {
        Recorder r = new Recorder();
        device.addStateListener(r);
        driver.failArcs = true;
        assertThrows(MigrationDriverException.class, () -> device.transition(STOP));
        device.reset();
        assertEquals(List.of("RUNNING->ERROR", "ERROR->RUNNING"), r.changes);
    }

    @Test
    void aResetOfARunningDeviceChangesNoStateAndTellsNoListener() {
        Recorder r = new Recorder();
        device.addStateListener(r);
        device.reset();
        assertEquals(1, driver.resets);
        assertEquals(List.of(), r.changes);
    }

    @Test
    void aFailedResetTellsTheListenersOfError() {
        Recorder r = new Recorder();
        device.transition(STOP);
        device.addStateListener(r);
        driver.failReset = true;
        assertThrows(MigrationDriverException.class, device::reset);
        assertEquals(List.of("STOP->ERROR"), r.changes);
    }

    @Test
    void aRemovedListenerHearsNothingMore() {
        Recorder r = new Recorder();
        device.addStateListener(r);
        device.transition(RUNNING_P2P);
        assertTrue(device.removeStateListener(r));
        device.transition(STOP);
        assertEquals(List.of("RUNNING->RUNNING_P2P"), r.changes);
    }

    @Test
    void removingAListenerNeverAddedSaysSo() {
        Recorder added = new Recorder();
        device.addStateListener(added);
        assertFalse(device.removeStateListener(new Recorder()));
        assertTrue(device.removeStateListener(added));
        assertFalse(device.removeStateListener(added), "already removed");
    }
}
