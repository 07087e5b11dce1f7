package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.DestinationMigration;
import dev.mmiomediator.migration.MigrationChannel;
import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.MigrationResult;
import dev.mmiomediator.migration.SourceMigration;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.migration.sim.VmImage;
import dev.mmiomediator.migration.sim.WriteLedger;
import dev.mmiomediator.migration.stream.DeviceSection;
import dev.mmiomediator.migration.stream.MigrationImage;
import dev.mmiomediator.migration.stream.MigrationStream;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A stream whose every checksum is right but whose content this destination cannot apply, made by a peer in the
 * middle that decodes the source's stream, changes it and encodes it again: the destination refuses it before
 * {@code OK}, with nothing applied (every device RUNNING as opened, memory and BARs blank), and the source resumes
 * with everything it held replayed there. An unchanged relay completes, so the relay itself changes nothing.
 */
class HostileStreamTest {
    private static final Topology VM = TopologyParser.defaultVm();
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");

    private record Outcome(MigrationResult source, MigrationResult destination, String relayed) {
    }

    private static Outcome migrate(UnaryOperator<MigrationImage> tamper) throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort,
                PolicyEngine.Settings.DEFAULT, 31);
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, destinationAbort,
                PolicyEngine.Settings.DEFAULT, 32);
        MigrationChannel[] toRelay = MigrationChannel.inMemoryPair();
        MigrationChannel[] fromRelay = MigrationChannel.inMemoryPair();
        CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> new DestinationMigration(
                VM.vm(), destination.passthroughDevices(), destination.engine(), plan, destination.hooks(),
                destinationAbort, DestinationMigration.Settings.DEFAULT.withTimeouts(Duration.ofSeconds(20),
                Duration.ofSeconds(20)), line -> { }).run(fromRelay[1]));
        CompletableFuture<String> relay = CompletableFuture.supplyAsync(() -> {
            try (MigrationChannel in = toRelay[1]; MigrationChannel out = fromRelay[0]) {
                MigrationImage image = MigrationStream.read(in.in(), 1L << 30);
                try {
                    MigrationStream.write(tamper.apply(image), out.out());
                } catch (java.io.IOException e) {
                    // a destination that refuses at the header replies and closes before the rest is written
                }
                String reply = out.readReply();
                in.reply(reply);
                return reply;
            } catch (Exception e) {
                throw new IllegalStateException("relay: " + e, e);
            }
        });
        source.startSoftware();
        TimeUnit.MILLISECONDS.sleep(30);
        MigrationResult sent = new SourceMigration(VM.vm(), source.passthroughDevices(), source.engine(), plan,
                source.hooks(), abort, Duration.ofMillis(50), line -> { }).run(toRelay[0]);
        MigrationResult got = received.get(60, TimeUnit.SECONDS);
        String reply = relay.get(60, TimeUnit.SECONDS);
        source.stopSoftware();
        destination.stopSoftware();
        if (!sent.completed()) {
            PolicyCounters c = source.engine().counters();
            assertEquals(c.total(PolicyCounters.Counter.QUEUED), c.total(PolicyCounters.Counter.REPLAYED),
                    "every write held on the source replayed there: " + c);
            for (SimulatedPassthroughDevice d : source.devices().values()) {
                assertEquals(MigrationState.RUNNING, d.device().state(), d.device().address() + " on the source");
                assertEquals(0, source.engine().heldCount(d.device().address()), "held writes left on the source");
            }
            VmImage expected = source.blankImage();
            source.paintExpected(expected);
            assertEquals("", source.actualImage().firstDifference(expected), "the source's memory");
            WriteLedger.Check writes = source.checkWrites(source);
            assertTrue(writes.accepted() > 0, "no P2P write was accepted: the run tested nothing");
            assertTrue(writes.exact(), "P2P writes on the source, by identity: " + writes);
            for (SimulatedPassthroughDevice d : destination.devices().values()) {
                assertEquals(MigrationState.RUNNING, d.device().state(), d.device().address() + " on the destination");
            }
            assertEquals("", destination.actualImage().firstDifference(destination.blankImage()),
                    "the destination applied something");
            assertEquals(0, destination.engine().counters().total(PolicyCounters.Counter.QUEUED),
                    "the destination imported carried writes");
        }
        if (sent.completed()) {
            WriteLedger.Check writes = destination.checkWrites(source, destination);
            assertTrue(writes.exact(), "P2P writes on the destination, by identity: " + writes);
        }
        return new Outcome(sent, got, reply);
    }

    /** The stream refused with a reason containing {@code why}, on both sides. */
    private static void assertRefused(Outcome o, String why) {
        assertEquals(MigrationOutcome.REFUSED, o.destination().outcome(), o.destination().reason());
        assertTrue(o.destination().reason().contains(why), o.destination().reason());
        assertTrue(o.relayed().startsWith("REFUSED "), o.relayed());
        assertEquals(MigrationOutcome.ABORTED, o.source().outcome(), o.source().reason());
        assertTrue(o.source().reason().contains("refused") && o.source().reason().contains(why),
                o.source().reason());
        assertEquals(0, o.source().queuedCarried(), "nothing counts as carried to a destination that refused");
    }

    private static MigrationImage withWrites(MigrationImage image, List<QueuedWrite> writes) {
        return new MigrationImage(image.vm(), image.devices(), image.ram(), writes);
    }

    private static MigrationImage adding(MigrationImage image, QueuedWrite... extra) {
        List<QueuedWrite> writes = new ArrayList<>(image.queuedWrites());
        writes.addAll(List.of(extra));
        return withWrites(image, writes);
    }

    private static long nextSequence(MigrationImage image) {
        return image.queuedWrites().stream().mapToLong(QueuedWrite::sequence).max().orElse(0) + 1000;
    }

    @Test
    void anUnchangedRelayCompletes() throws Exception {
        Outcome o = migrate(image -> image);
        assertEquals(MigrationOutcome.COMPLETED, o.destination().outcome(), o.destination().reason());
        assertEquals(MigrationOutcome.COMPLETED, o.source().outcome(), o.source().reason());
        assertTrue(o.relayed().startsWith("OK crc32c="), o.relayed());
    }

    @Test
    void aWritePastTheEndOfItsBarIsRefused() throws Exception {
        Outcome o = migrate(image -> adding(image, new QueuedWrite(nextSequence(image), "nvme", NIC, 0, 0x4000 - 4,
                new byte[8])));
        assertRefused(o, "ends past 0000:01:00.0 BAR 0 (0x4000 bytes)");
    }

    @Test
    void aWriteAtOffsetTwoToTheSixtyThirdMinusOneIsRefused() throws Exception {
        Outcome o = migrate(image -> adding(image, new QueuedWrite(nextSequence(image), "nvme", NIC, 2,
                Long.MAX_VALUE, new byte[1])));
        assertRefused(o, "ends past 0000:01:00.0 BAR 2");
    }

    @Test
    void aWriteToABarTheDeviceLacksIsRefused() throws Exception {
        Outcome o = migrate(image -> adding(image, new QueuedWrite(nextSequence(image), "nvme", NIC, 1, 0,
                new byte[4])));
        assertRefused(o, "0000:01:00.0 has no BAR 1");
    }

    @Test
    void aRepeatedSequenceNumberIsRefused() throws Exception {
        Outcome o = migrate(image -> {
            long s = nextSequence(image);
            return adding(image, new QueuedWrite(s, "nvme", NIC, 0, 0x10, new byte[8]),
                    new QueuedWrite(s, "nvme", NIC, 0, 0x10, new byte[8]));
        });
        assertRefused(o, "again, expected each sequence once");
    }

    @Test
    void oneInitiatorsWritesOutOfSequenceOrderAreRefused() throws Exception {
        Outcome o = migrate(image -> {
            long s = nextSequence(image);
            return adding(image, new QueuedWrite(s + 1, "nvme", NIC, 0, 0x10, new byte[8]),
                    new QueuedWrite(s, "nvme", NIC, 0, 0x18, new byte[8]));
        });
        assertRefused(o, "expected each initiator's writes to a device in sequence order");
    }

    @Test
    void aStreamForAnotherVmIsRefused() throws Exception {
        Outcome o = migrate(image -> new MigrationImage("someone-else", image.devices(), image.ram(),
                image.queuedWrites()));
        assertRefused(o, "a stream of VM 'someone-else', this destination runs '" + VM.vm() + "'");
    }

    @Test
    void aDeviceStateWhoseOwnChecksumIsWrongIsRefusedBeforeAnyDeviceMoves() throws Exception {
        Outcome o = migrate(image -> {
            List<DeviceSection> devices = new ArrayList<>();
            for (DeviceSection d : image.devices()) {
                byte[] state = d.state();
                if (d.device().equals(NIC)) {
                    state = state.clone();
                    state[state.length / 2] ^= 0x40; // the frame CRC is made anew; the state's own checksum breaks
                }
                devices.add(new DeviceSection(d.device(), d.flags(), state));
            }
            return new MigrationImage(image.vm(), devices, image.ram(), image.queuedWrites());
        });
        assertRefused(o, "the device state of 0000:01:00.0: corrupted stream: checksum");
    }

    @Test
    void aStreamWithoutOneOfTheDevicesIsRefusedAtItsHeader() throws Exception {
        Outcome o = migrate(image -> new MigrationImage(image.vm(), image.devices().subList(1,
                image.devices().size()), image.ram(), image.queuedWrites().stream()
                .filter(w -> !w.device().equals(image.devices().get(0).device())).toList()));
        assertRefused(o, "the stream announces 2 device states, this VM has 3 passthrough devices");
    }

    @Test
    void aRamSectionOutsideTheVmsRamIsRefused() throws Exception {
        Outcome o = migrate(image -> {
            List<dev.mmiomediator.migration.stream.RamSection> ram = new ArrayList<>(image.ram());
            ram.add(new dev.mmiomediator.migration.stream.RamSection(SimulatedVm.RAM_REGION, SimulatedVm.RAM_SIZE - 2,
                    new byte[4]));
            return new MigrationImage(image.vm(), image.devices(), ram, image.queuedWrites());
        });
        assertRefused(o, "expected region pc.ram within its");
    }
}
