package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of one side of a two-process migration under queue-and-replay, at chosen moments, and the state the
 * survivor ends in. Both sides run with {@code --timeout-s 5 --transfer-timeout-s 20} (the destination listens for
 * 20 s except in the case that waits out its 5 s); the moments are found by
 * watching the other process's progress lines, and where the moment is inside the stream, the source sends it at
 * {@value #PACE} bytes a second ({@code --pace-bytes-per-s}, a testing option) so that the stream (about 8.5 MB)
 * takes about 4 s.
 *
 * <p>The states, one test each:
 * <ul>
 *   <li>Destination killed before the stream (as the source moves its first device): the source's first writes fail;
 *       it reports {@code aborted} (transport failure while sending), every device RUNNING again, the VM resumed on
 *       the source, {@code imagesMatch} true, its held writes all replayed, none carried.</li>
 *   <li>Destination killed mid-stream (once it has read a valid header): the same.</li>
 *   <li>Destination killed after the whole stream, before its OK (at "stream ... validated", while it loads and
 *       starts its devices): the same; the source's reply read ends without a reply.</li>
 *   <li>Destination killed after its OK (at "every device RUNNING"): the source read the OK and reports
 *       {@code completed}, its held writes carried. This is the two-generals gap on this side: the source has handed
 *       the VM over, and the destination that took it is gone, so neither side runs it.</li>
 *   <li>Source killed before the stream (at its first device's move; nothing sent): the destination refuses that
 *       connection, waits on, and ends at its {@code --timeout-s} with {@code refused}, "no source presented a valid
 *       stream header", {@code unchanged} true.</li>
 *   <li>Source killed mid-stream, just after the header and again near the end of the stream: the destination
 *       reports {@code refused} at once (the stream broke off before its end marker), {@code unchanged} true: no
 *       device left RUNNING, no byte of RAM written.</li>
 *   <li>Source killed after the whole stream (at "stream ... validated"): the destination has everything it needs
 *       and completes: it runs the VM. This is the two-generals gap on the other side: had the source read the OK it
 *       would have completed too, and a source that dies waiting for it has lost nothing that the destination does
 *       not run.</li>
 * </ul>
 * The survivor must notice the death without waiting for a timeout (the kernel closes a killed process's sockets),
 * so each case also bounds the time from the kill to the survivor's end, and prints it.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KillTest {
    /** The source's pace for the cases that kill inside the stream: about 4 s for the default VM's stream. */
    static final long PACE = 2_000_000;

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long TIMEOUT_MS = 5_000;
    private static final Pattern SENDING = Pattern.compile("source: sending (\\d+) bytes \\((\\d+) held P2P writes\\)");

    @TempDir
    java.nio.file.Path tmp;

    private final List<MigrateProcess> started = new ArrayList<>();
    private MigrateProcess destination;
    private MigrateProcess source;
    private long listening;

    @AfterEach
    void killLeftovers() {
        started.forEach(MigrateProcess::destroy);
    }

    /**
     * Starts both sides. The destination's listen timeout is 5 s only where a case waits it out: elsewhere it is 20 s,
     * since a source JVM started on a loaded machine has been seen to take over 5 s to send its header.
     */
    private void begin(boolean paced) throws Exception {
        begin(paced, 20);
    }

    private void begin(boolean paced, int listenTimeoutSeconds) throws Exception {
        destination = MigrateProcess.start(tmp, "destination", "--listen", "0", "--json", "--timeout-s",
                Integer.toString(listenTimeoutSeconds), "--transfer-timeout-s", "20");
        started.add(destination);
        int port = destination.awaitPort(WAIT);
        listening = System.nanoTime();
        List<String> args = new ArrayList<>(List.of("--to", "127.0.0.1:" + port, "--json", "--timeout-s", "5",
                "--transfer-timeout-s", "20"));
        if (paced) {
            args.addAll(List.of("--pace-bytes-per-s", Long.toString(PACE)));
        }
        source = MigrateProcess.start(tmp, "source", args.toArray(new String[0]));
        started.add(source);
    }

    private String both() {
        return MigrateProcess.diagnostics(source, destination);
    }

    /** Kills {@code victim}, waits for {@code survivor} to end on its own; returns the milliseconds in between. */
    private long kill(MigrateProcess victim, MigrateProcess survivor, String moment) throws InterruptedException {
        long killed = System.nanoTime();
        victim.kill();
        boolean ended = survivor.awaitExit(Duration.ofSeconds(40));
        long ms = (System.nanoTime() - killed) / 1_000_000;
        assertTrue(ended, survivor.name + " still running 40 s after the kill" + both());
        System.out.printf("KillTest: %s killed %s; the %s ended %d ms later: %s (%s)%n", victim.name, moment,
                survivor.name, ms, survivor.field("outcome"), survivor.field("reason"));
        assertEquals(0, survivor.process.exitValue(), survivor.name + " exit code" + both());
        return ms;
    }

    private void assertNoTimeoutNeeded(long ms) {
        assertTrue(ms < TIMEOUT_MS, "the survivor took " + ms + " ms, as long as a timeout (" + TIMEOUT_MS
                + " ms): it did not notice the closed connection" + both());
    }

    /** The source cancelled: devices RUNNING, VM resumed, its image intact, every held write replayed here. */
    private void assertSourceResumed(String reasonPrefix) {
        String d = both();
        assertEquals("aborted", source.field("outcome"), d);
        assertTrue(source.field("reason").startsWith(reasonPrefix), "reason, expected to start with '"
                + reasonPrefix + "'" + d);
        assertEquals("true", source.field("imagesMatch"), d);
        assertEquals("0", source.field("lost"), "lost P2P writes, by identity" + d);
        assertEquals("0", source.field("duplicated"), "duplicated P2P writes, by identity" + d);
        assertTrue(source.number("queued") > 0, "no write was held, so none could be replayed" + d);
        assertEquals(source.number("queued"), source.number("replayed"), "held writes not all replayed" + d);
        assertEquals(0, source.number("carried"), d);
        assertAllRunning(source.paths(), d);
        assertTrue(source.stderr().contains("source: cancelled; every device RUNNING, the VM runs on the source"), d);
    }

    /** The destination refused and applied nothing. */
    private void assertDestinationUnchanged(String reasonPrefix) {
        String d = both();
        assertEquals("refused", destination.field("outcome"), d);
        assertTrue(destination.field("reason").startsWith(reasonPrefix), "reason, expected to start with '"
                + reasonPrefix + "'" + d);
        assertEquals("true", destination.field("unchanged"), d);
        assertEquals(0, destination.number("carried"), d);
        Map<String, List<String>> paths = destination.paths();
        assertEquals(3, paths.size(), d);
        paths.forEach((device, states) -> assertEquals(List.of("RUNNING"), states, device + " moved" + d));
    }

    private static void assertAllRunning(Map<String, List<String>> paths, String d) {
        assertEquals(3, paths.size(), d);
        paths.forEach((device, states) -> assertEquals("RUNNING", states.get(states.size() - 1),
                device + " path " + states + d));
    }

    /** The stream's length and held writes, as the source announced them. */
    private long[] sending() throws InterruptedException {
        Matcher m = SENDING.matcher(source.awaitStderr("source: sending ", WAIT, destination));
        assertTrue(m.find(), both());
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    @Test
    void destinationKilledBeforeTheStreamLeavesTheSourceRunning() throws Exception {
        begin(false);
        source.awaitStderr("source: 0000:01:00.0 RUNNING -> ", WAIT, destination);
        assertNoTimeoutNeeded(kill(destination, source, "before the stream (source moving its first device)"));
        assertSourceResumed("transport failure with ");
    }

    @Test
    void destinationKilledMidStreamLeavesTheSourceRunning() throws Exception {
        begin(true);
        destination.awaitStderr("destination: source /127.0.0.1:", WAIT, source);
        assertFalse(destination.stderr().contains("validated"), "the stream was already whole" + both());
        assertNoTimeoutNeeded(kill(destination, source, "mid-stream (after a valid header)"));
        assertSourceResumed("transport failure with ");
    }

    @Test
    void destinationKilledAfterTheStreamBeforeItsOkLeavesTheSourceRunning() throws Exception {
        begin(false);
        destination.awaitStderr("destination: stream of 'demo-q35' validated", WAIT, source);
        assertNoTimeoutNeeded(kill(destination, source, "after the whole stream, before OK"));
        assertFalse(destination.stderr().contains("every device RUNNING"), "the kill came after the OK" + both());
        assertSourceResumed("");
        String reason = source.field("reason");
        assertTrue(reason.contains("closed the connection without a reply") || reason.contains("transport failure"),
                "reason" + both());
    }

    @Test
    void destinationKilledAfterItsOkLeavesTheSourceCompleted() throws Exception {
        begin(false);
        long[] announced = sending();
        destination.awaitStderr("destination: every device RUNNING", WAIT, source);
        assertNoTimeoutNeeded(kill(destination, source, "after its OK"));
        String d = both();
        assertEquals("completed", source.field("outcome"), d);
        assertEquals(announced[1], source.number("carried"), "the held writes count as carried on the OK" + d);
        assertTrue(source.stderr().contains("source: completed; the destination runs the VM"), d);
    }

    @Test
    void sourceKilledBeforeTheStreamLeavesTheDestinationUnchangedAtItsTimeout() throws Exception {
        begin(false, (int) (TIMEOUT_MS / 1000));
        source.awaitStderr("source: 0000:01:00.0 RUNNING -> ", WAIT, destination);
        long ms = kill(source, destination, "before the stream (moving its first device)");
        long sinceListening = (System.nanoTime() - listening) / 1_000_000;
        System.out.printf("KillTest: the destination ended %d ms after it listened (--timeout-s 5)%n", sinceListening);
        String d = both();
        assertTrue(sinceListening >= TIMEOUT_MS && sinceListening < TIMEOUT_MS + 3_000,
                "the destination ended " + sinceListening + " ms after listening, expected at its 5 s timeout" + d);
        assertTrue(ms < TIMEOUT_MS + 3_000, d);
        assertDestinationUnchanged("no source presented a valid stream header within 5 s (1 connections refused)");
        assertTrue(destination.stderr().contains("destination: refused a connection from /127.0.0.1:"), d);
    }

    @Test
    void sourceKilledJustAfterTheHeaderLeavesTheDestinationUnchanged() throws Exception {
        begin(true);
        destination.awaitStderr("destination: source /127.0.0.1:", WAIT, source);
        assertNoTimeoutNeeded(kill(source, destination, "just after the header"));
        assertFalse(destination.stderr().contains("validated"), both());
        assertDestinationUnchanged("");
    }

    @Test
    void sourceKilledNearTheEndOfTheStreamLeavesTheDestinationUnchanged() throws Exception {
        begin(true);
        long bytes = sending()[0];
        destination.awaitStderr("destination: source /127.0.0.1:", WAIT, source);
        Thread.sleep(bytes * 900 / PACE); // 90% of the stream's time at the pace
        assertFalse(destination.stderr().contains("validated"), "the stream was already whole" + both());
        assertNoTimeoutNeeded(kill(source, destination, "near the end of the stream (90% of its time)"));
        assertFalse(destination.stderr().contains("validated"), both());
        assertDestinationUnchanged("");
    }

    @Test
    void sourceKilledAfterTheWholeStreamLeavesTheDestinationRunningTheVm() throws Exception {
        begin(false);
        long bytes = sending()[0];
        destination.awaitStderr("destination: stream of 'demo-q35' validated", WAIT, source);
        assertNoTimeoutNeeded(kill(source, destination, "after the whole stream"));
        String d = both();
        assertEquals("completed", destination.field("outcome"), d);
        assertEquals(bytes, destination.number("streamBytes"), d);
        assertTrue(destination.number("carried") > 0, d);
        assertEquals("true", destination.field("ownWindowsMatch"), d);
        assertAllRunning(destination.paths(), d);
        assertTrue(destination.stderr().contains("destination: every device RUNNING; the VM runs here"), d);
    }
}
