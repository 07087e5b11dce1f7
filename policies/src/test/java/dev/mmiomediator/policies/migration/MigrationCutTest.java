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
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Cuts the TCP connection at many points of the migration stream (start, inside a device-state section, inside
 * the queued-writes section, just before the end marker, and evenly spread points), with software devices doing
 * DMA under {@code queue-and-replay} so the source holds P2P writes when it sends. Each time: the source cancels,
 * every device RUNNING, the held writes replayed there, its memory equal to the expected image, and its devices
 * took exactly the accepted P2P writes, each once (by identity); the destination refused, its devices RUNNING and its memory untouched.
 * Also: flipping one byte of the stream on the wire is refused the same way.
 */
class MigrationCutTest {
    private static final Topology VM = TopologyParser.defaultVm();

    /** Where the sections of a stream start, by type name, from its frame headers (format version 1). */
    private static TreeMap<Long, String> sections(byte[] stream) {
        String[] names = {"?", "header", "device-state", "ram", "queued-writes", "end"};
        TreeMap<Long, String> starts = new TreeMap<>();
        ByteBuffer b = ByteBuffer.wrap(stream);
        long at = 8;
        while (at < stream.length) {
            int type = b.get((int) at);
            long length = Integer.toUnsignedLong(b.getInt((int) at + 8));
            starts.put(at, names[type]);
            at += 12 + length + 4;
        }
        return starts;
    }

    /** Cuts (or corrupts) what the source sends. */
    private static final class Faulty implements MigrationChannel {
        private final MigrationChannel real;
        private final Socket socket;
        private final long cutAt;
        private final long flipAt;
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();

        Faulty(MigrationChannel real, Socket socket, long cutAt, long flipAt) {
            this.real = real;
            this.socket = socket;
            this.cutAt = cutAt;
            this.flipAt = flipAt;
        }

        @Override
        public InputStream in() {
            return real.in();
        }

        @Override
        public OutputStream out() {
            return new OutputStream() {
                private long n;

                private long cut = cutAt;
                private long length;

                @Override
                public void write(int b) throws IOException {
                    if (n >= 24 && n < 32) { // the header's stream length (format version 1), big-endian
                        length = length << 8 | (b & 0xff);
                        if (n == 31 && cutAt < 0) {
                            cut = length + cutAt;
                        }
                    }
                    if (n == cut) {
                        real.out().flush();
                        socket.close();
                        throw new IOException("connection cut by the test at byte " + n);
                    }
                    int v = n == flipAt ? b ^ 0x10 : b;
                    sent.write(v);
                    real.out().write(v);
                    n++;
                }

                @Override
                public void flush() throws IOException {
                    real.out().flush();
                }
            };
        }

        @Override
        public String peer() {
            return real.peer();
        }

        @Override
        public void close() throws IOException {
            real.close();
        }
    }

    private record Outcome(MigrationResult source, MigrationResult destination, byte[] sent, long replayed) {
    }

    private static Outcome migrate(long cutAt, long flipAt) throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        PolicyEngine.Settings settings = PolicyEngine.Settings.DEFAULT;
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort, settings, 11);
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, destinationAbort,
                settings, 12);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return new DestinationMigration(VM.vm(), destination.passthroughDevices(), destination.engine(),
                            plan, destination.hooks(), destinationAbort, DestinationMigration.Settings.DEFAULT
                            .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20)), line -> { })
                            .run(MigrationChannel.of(server.accept()));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            source.startSoftware();
            TimeUnit.MILLISECONDS.sleep(30);
            Socket socket = new Socket(server.getInetAddress(), server.getLocalPort());
            socket.setSoTimeout(20_000);
            Faulty channel = new Faulty(MigrationChannel.of(socket), socket, cutAt, flipAt);
            MigrationResult sent = new SourceMigration(VM.vm(), source.passthroughDevices(), source.engine(), plan,
                    source.hooks(), abort, Duration.ofMillis(40), line -> { }).run(channel);
            MigrationResult got = received.get(30, TimeUnit.SECONDS);
            TimeUnit.MILLISECONDS.sleep(20);
            source.stopSoftware();
            destination.stopSoftware();
            long replayed = 0;
            if (!sent.completed()) {
                PolicyCounters counters = source.engine().counters();
                replayed = counters.total(PolicyCounters.Counter.REPLAYED);
                assertEquals(counters.total(PolicyCounters.Counter.QUEUED), replayed,
                        "every write held on the source replayed there: " + counters);
                for (SimulatedPassthroughDevice d : source.devices().values()) {
                    assertEquals(MigrationState.RUNNING, d.device().state(), d.device().address() + " on the source");
                    assertEquals(0, source.engine().heldCount(d.device().address()), "held writes left behind");
                }
                VmImage expected = source.blankImage();
                source.paintExpected(expected);
                VmImage actual = source.actualImage();
                assertEquals("", actual.firstDifference(expected), "the source's memory after the cut");
                WriteLedger.Check writes = source.checkWrites(source);
                assertTrue(writes.exact(), "P2P writes the source's devices took, against those accepted, by identity: "
                        + writes);
                assertEquals(MigrationOutcome.REFUSED, got.outcome(), got.reason());
                for (SimulatedPassthroughDevice d : destination.devices().values()) {
                    assertEquals(MigrationState.RUNNING, d.device().state(), "destination " + d.device().address());
                    assertTrue(d.accesses().isEmpty(), "the destination's device was touched");
                }
                assertEquals(destination.blankImage(), destination.actualImage(), "the destination changed");
            }
            return new Outcome(sent, got, channel.sent.toByteArray(), replayed);
        } finally {
            source.stopSoftware();
            destination.stopSoftware();
        }
    }

    @Test
    void cuttingTheConnectionAnywhereLosesNothingAndChangesNothing() throws Exception {
        Outcome whole = migrate(Long.MAX_VALUE, -1);
        assertEquals(MigrationOutcome.COMPLETED, whole.source().outcome(), whole.source().reason());
        byte[] stream = whole.sent();
        TreeMap<Long, String> sections = sections(stream);
        // Header and device sections have the same size every run (fixed VM name and BARs): absolute offsets.
        // What follows (RAM pages, queued writes) varies with the run: offsets from the end (negative).
        List<Long> cuts = new ArrayList<>(List.of(0L, 4L, 24L, 40L));
        long ramStart = sections.entrySet().stream().filter(e -> e.getValue().equals("ram")).mapToLong(
                java.util.Map.Entry::getKey).min().orElseThrow();
        sections.forEach((start, name) -> {
            if (name.equals("device-state")) {
                long end = sections.higherKey(start);
                cuts.addAll(List.of(start, start + 11, start + 12 + (end - start) / 2, end - 1));
            }
        });
        cuts.addAll(List.of(ramStart, ramStart + 2000));
        long endFrame = 12 + 16 + 4;
        cuts.addAll(List.of(-(endFrame + 40), -(endFrame + 20), -(endFrame + 1), -endFrame, -endFrame + 12, -16L,
                -4L, -1L));
        System.out.println("MigrationCutTest: stream of " + stream.length + " bytes in " + sections.size()
                + " sections; cutting at " + cuts.size() + " points: " + cuts);
        List<String> where = new ArrayList<>();
        long replayed = 0;
        for (long cut : cuts) {
            Outcome o = migrate(cut, -1);
            assertEquals(MigrationOutcome.ABORTED, o.source().outcome(), "cut at " + cut);
            where.add(o.destination().reason());
            replayed += o.replayed();
        }
        assertTrue(replayed > 0, "no cut left the source holding writes: the replay on cancel was not tested");
        String all = String.join("\n", where);
        for (String section : List.of("device-state", "queued-writes", "end")) {
            assertTrue(all.contains(section), "no cut was refused inside a " + section + " section:\n" + all);
        }
    }

    @Test
    void aCorruptByteOnTheWireIsRefusedAndTheSourceResumes() throws Exception {
        for (long at : List.of(0L, 20L, 100L, 5000L)) {
            Outcome o = migrate(Long.MAX_VALUE, at);
            assertEquals(MigrationOutcome.ABORTED, o.source().outcome(), "byte " + at + " flipped");
            assertEquals(MigrationOutcome.REFUSED, o.destination().outcome());
            assertTrue(o.destination().reason().startsWith("invalid migration stream: "), o.destination().reason());
        }
    }
}
