package dev.mmiomediator.vfio;

import dev.mmiomediator.pci.PciBar;

import dev.mmiomediator.pci.PciAddress;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The device model: transitions one arc at a time through the driver, failures, resets and refusals. */
class PassthroughDeviceTest {
    private static final PciAddress ADDR = PciAddress.parse("0000:01:00.0");

    /** Records arcs and the published state seen during each; returns sessions as the uapi says. */
    static final class RecordingDriver implements MigrationDriver {
        final List<String> arcs = new ArrayList<>();
        PassthroughDevice device;
        MigrationState failFrom;
        MigrationState failTo;
        boolean returnWrongData;
        boolean failReset;
        int resets;

        @Override
        public MigrationData arc(MigrationState from, MigrationState to) throws IOException {
            arcs.add(from + "->" + to + " (published " + device.state() + ")");
            if (from == failFrom && to == failTo) {
                throw new IOException("EIO");
            }
            if (returnWrongData) {
                return new Sink();
            }
            if (to.isResuming()) {
                return new Sink();
            }
            return MigrationDriver.opensSession(from, to) ? new Source() : null;
        }

        @Override
        public void reset() throws IOException {
            resets++;
            if (failReset) {
                throw new IOException("reset timed out");
            }
        }
    }

    static final class Source implements MigrationDataSource {
        @Override
        public int read(ByteBuf dst) {
            return -1;
        }
    }

    static final class Sink implements MigrationDataSink {
        @Override
        public void write(ByteBuf src) {
            src.skipBytes(src.readableBytes());
        }
    }

    private final RecordingDriver driver = new RecordingDriver();

    private PassthroughDevice device(MigrationFlags flags) {
        PassthroughDevice d = new PassthroughDevice(ADDR, flags, List.of(new PciBar(2, 0x1000), new PciBar(0, 0x4000)),
                driver);
        driver.device = d;
        return d;
    }

    @Test
    void aNewDeviceIsRunningWithItsBarsInIndexOrder() {
        PassthroughDevice d = device(MigrationFlags.WITH_P2P);
        assertEquals(RUNNING, d.state());
        assertEquals(List.of(new PciBar(0, 0x4000), new PciBar(2, 0x1000)), d.bars());
        assertEquals(0x1000, d.bar(2).orElseThrow().size());
        assertFalse(d.bar(1).isPresent());
        assertEquals("0000:01:00.0 BAR 2", d.barRegionName(2));
        assertEquals("0000:01:00.0 [STOP_COPY,P2P] RUNNING", d.toString());
    }

    @Test
    void aBarIndexTwiceIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PassthroughDevice(ADDR,
                MigrationFlags.ALL, List.of(new PciBar(0, 0x1000), new PciBar(0, 0x2000)), driver));
        assertEquals("0000:01:00.0: BAR 0 given twice", e.getMessage());
    }

    @Test
    void transitionWalksTheKernelPathOneArcAtATimePublishingEachState() {
        PassthroughDevice d = device(MigrationFlags.WITH_P2P);
        Transition t = d.transition(STOP_COPY);
        assertEquals(List.of(RUNNING, RUNNING_P2P, STOP, STOP_COPY), t.path());
        assertEquals(List.of("RUNNING->RUNNING_P2P (published RUNNING)", "RUNNING_P2P->STOP (published RUNNING_P2P)",
                "STOP->STOP_COPY (published STOP)"), driver.arcs);
        assertEquals(STOP_COPY, d.state());
        assertEquals(STOP_COPY, t.target());
        assertTrue(t.source().isPresent());
        assertFalse(t.sink().isPresent());
        assertEquals("RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY (+source)", t.toString());
    }

    @Test
    void theArcIntoResumingYieldsASink() {
        PassthroughDevice d = device(MigrationFlags.STOP_COPY_ONLY);
        Transition t = d.transition(RESUMING);
        assertEquals(List.of(RUNNING, STOP, RESUMING), t.path());
        assertTrue(t.sink().isPresent());
        Transition back = d.transition(RUNNING);
        assertEquals(List.of(RESUMING, STOP, RUNNING), back.path());
        assertFalse(back.source().isPresent() || back.sink().isPresent());
    }

    @Test
    void movingWithinTheSavingGroupKeepsTheSessionAndYieldsNoNewOne() {
        PassthroughDevice d = device(MigrationFlags.ALL);
        assertTrue(d.transition(PRE_COPY).source().isPresent());
        Transition t = d.transition(STOP_COPY);
        assertEquals(List.of(PRE_COPY, PRE_COPY_P2P, STOP_COPY), t.path());
        assertFalse(t.source().isPresent());
    }

    @Test
    void requestingTheCurrentStateDoesNothing() {
        PassthroughDevice d = device(MigrationFlags.STOP_COPY_ONLY);
        Transition t = d.transition(RUNNING);
        assertEquals(List.of(RUNNING), t.path());
        assertEquals(List.of(), driver.arcs);
    }

    @Test
    void refusedRequestsLeaveTheDeviceUnchanged() {
        PassthroughDevice d = device(MigrationFlags.WITH_PRE_COPY);
        assertEquals(MigrationTransitionException.Kind.REQUESTED_IS_ERROR,
                assertThrows(MigrationTransitionException.class, () -> d.transition(ERROR)).kind());
        assertEquals(MigrationTransitionException.Kind.REQUESTED_UNSUPPORTED,
                assertThrows(MigrationTransitionException.class, () -> d.transition(RUNNING_P2P)).kind());
        assertEquals(RUNNING, d.state());
        assertEquals(List.of(), driver.arcs);

        d.transition(STOP_COPY);
        driver.arcs.clear();
        MigrationTransitionException e = assertThrows(MigrationTransitionException.class,
                () -> d.transition(PRE_COPY));
        assertEquals(MigrationTransitionException.Kind.REFUSED_BY_KERNEL, e.kind());
        assertEquals(STOP_COPY, d.state());
        assertEquals(List.of(), driver.arcs);
    }

    @Test
    void aFailedArcLeavesErrorAndOnlyAResetLeavesIt() {
        PassthroughDevice d = device(MigrationFlags.WITH_P2P);
        driver.failFrom = RUNNING_P2P;
        driver.failTo = STOP;
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> d.transition(STOP_COPY));
        assertEquals("0000:01:00.0: arc RUNNING_P2P -> STOP failed (on the way RUNNING -> STOP_COPY); the device is in "
                + "ERROR until reset: EIO", e.getMessage());
        assertEquals(RUNNING_P2P, e.from());
        assertEquals(STOP, e.to());
        assertEquals(ADDR, e.device());
        assertEquals(ERROR, d.state());

        driver.failFrom = null;
        driver.arcs.clear();
        MigrationTransitionException refused = assertThrows(MigrationTransitionException.class,
                () -> d.transition(RUNNING));
        assertEquals(MigrationTransitionException.Kind.CURRENT_IS_ERROR, refused.kind());
        assertEquals(ERROR, d.state());
        assertEquals(List.of(), driver.arcs);

        d.reset();
        assertEquals(1, driver.resets);
        assertEquals(RUNNING, d.state());
        assertEquals(List.of(RUNNING, RUNNING_P2P, STOP, STOP_COPY), d.transition(STOP_COPY).path());
    }

    @Test
    void aDriverThatReturnsTheWrongSessionFailsTheArc() {
        PassthroughDevice d = device(MigrationFlags.WITH_P2P);
        driver.returnWrongData = true;
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> d.transition(RUNNING_P2P));
        assertTrue(e.getMessage().contains("arc RUNNING -> RUNNING_P2P returned " + Sink.class.getName()
                + ", expected nothing"), e.getMessage());
        assertEquals(ERROR, d.state());
    }

    @Test
    void aFailedResetLeavesError() {
        PassthroughDevice d = device(MigrationFlags.WITH_P2P);
        driver.failReset = true;
        MigrationDriverException e = assertThrows(MigrationDriverException.class, d::reset);
        assertEquals("0000:01:00.0: reset from RUNNING failed; the device is in ERROR: reset timed out",
                e.getMessage());
        assertEquals(ERROR, d.state());
        driver.failReset = false;
        d.reset();
        assertSame(RUNNING, d.state());
    }

    @Test
    void checkStateAsksTheDriverAndNamesTheDeviceInARefusal() throws MigrationStreamException {
        List<String> checked = new ArrayList<>();
        MigrationDriver picky = new MigrationDriver() {
            @Override
            public MigrationData arc(MigrationState from, MigrationState to) {
                throw new AssertionError("checking must not move the device");
            }

            @Override
            public void reset() {
                throw new AssertionError("checking must not reset the device");
            }

            @Override
            public void checkState(byte[] state) throws MigrationStreamException {
                checked.add(new String(state, java.nio.charset.StandardCharsets.US_ASCII));
                if (state.length == 0) {
                    throw new MigrationStreamException("empty state");
                }
            }
        };
        PassthroughDevice d = new PassthroughDevice(ADDR, MigrationFlags.STOP_COPY_ONLY, List.of(), picky);
        d.checkState("ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(List.of("ok"), checked, "the driver saw the bytes");
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> d.checkState(new byte[0]));
        assertEquals("0000:01:00.0: empty state", e.getMessage());
        assertEquals(RUNNING, d.state(), "checking touches no device");
    }
}
