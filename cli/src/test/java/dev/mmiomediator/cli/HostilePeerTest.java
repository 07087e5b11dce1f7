package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code migrate} processes against hostile peers played by this test over loopback TCP.
 *
 * <p>Against a real source: a destination that accepts and never reads, reads and never replies, replies garbage,
 * answers {@code OK} before it has read anything, answers {@code OK} naming another stream, closes after a few
 * bytes, or reads slowly. Each time the source cancels within its timeouts (plus start-up), with every device
 * RUNNING, its memory equal to what its software devices' records imply and every held write replayed.
 *
 * <p>Against a real destination run with {@code -Xmx256m}: a section announcing 1 GiB, a header announcing
 * 3,000,000 queued writes, a first frame with a huge length field, a stream sent one byte per second, and
 * connections that send nothing valid (a bare close, garbage, another VM's header, idle, one byte per second before
 * the header) side by side with the real source. The destination refuses with nothing applied and a peak heap far
 * below the limit, or, for connections that never present a valid header, goes on to take the real source's
 * migration.
 */
class HostilePeerTest {
    private static final String VM = "demo-q35";
    /** Each case prints its time and peak heap here; the closing note quotes them. */
    private static final List<String> MEASURED = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void begin() {
        MEASURED.clear();
    }

    @AfterAll
    static void report() {
        MEASURED.forEach(line -> System.out.println("HostilePeerTest: " + line));
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private Process start(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classPath(), Main.class.getName(), "migrate"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(tmp.resolve(name + ".err").toFile())
                .redirectOutput(tmp.resolve(name + ".out").toFile()).start();
    }

    private String output(String name) throws IOException {
        return Files.readString(tmp.resolve(name + ".out")) + "\n--- stderr ---\n"
                + Files.readString(tmp.resolve(name + ".err"));
    }

    /** A top-level field of the JSON report that {@link #output} starts with, as printed. */
    private static String field(String output, String name) {
        return JsonReport.field(output, name);
    }

    private int waitForPort(String name, Process p) throws Exception {
        Path err = tmp.resolve(name + ".err");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                if (line.startsWith("listening on 127.0.0.1:")) {
                    return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).split(" ")[0]);
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("destination exited: " + output(name));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("destination never listened");
    }

    // ---------------------------------------------------------------- a real source, a hostile destination

    /** What the hostile destination does with the source's connection. */
    @FunctionalInterface
    private interface Destination {
        void serve(Socket s) throws Exception;
    }

    /**
     * Runs a real source against {@code hostile} with 3 s per wait and 8 s for the whole exchange, and checks it
     * cancelled and resumed with nothing lost.
     *
     * @return the source's report
     */
    private String sourceAgainst(String what, Destination hostile, String reason) throws Exception {
        return sourceAgainst(what, hostile, reason, 3, 8);
    }

    private String sourceAgainst(String what, Destination hostile, String reason, int timeout, int transfer)
            throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> peer = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    hostile.serve(s);
                } catch (Exception e) {
                    // the source closing its end is how most cases end
                }
            });
            long start = System.nanoTime();
            Process source = start("source", "--to", "127.0.0.1:" + server.getLocalPort(), "--json", "--timeout-s",
                    String.valueOf(timeout), "--transfer-timeout-s", String.valueOf(transfer));
            assertTrue(source.waitFor(60, TimeUnit.SECONDS), what + ": the source did not end");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String out = output("source");
            assertEquals(0, source.exitValue(), what + ": " + out);
            assertEquals("aborted", field(out, "outcome"), what + ": " + out);
            assertTrue(field(out, "reason").contains(reason), what + ": " + out);
            assertEquals("true", field(out, "imagesMatch"), what + ": " + out);
            assertEquals("0", field(out, "lost"), what + ": lost P2P writes, by identity: " + out);
            assertEquals("0", field(out, "duplicated"), what + ": duplicated P2P writes, by identity: " + out);
            assertEquals(field(out, "queued"), field(out, "replayed"), what + ": held writes not replayed: " + out);
            assertEquals("0", field(out, "carried"), what + ": " + out);
            MEASURED.add(String.format("source vs a destination that %s: ended in %d ms (process start included),"
                    + " peak heap %d MiB; %s", what, ms, Long.parseLong(field(out, "peakHeapBytes")) >> 20,
                    field(out, "reason")));
            peer.cancel(true);
            return out;
        }
    }

    /** Reads the source's stream up to its END frame (type 5, payload 16: the last 32 bytes); returns its length. */
    private static long readAll(InputStream in) throws IOException {
        byte[] buf = new byte[1 << 16];
        byte[] tail = new byte[32];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (n >= 32) {
                System.arraycopy(buf, n - 32, tail, 0, 32);
            } else {
                System.arraycopy(tail, n, tail, 0, 32 - n);
                System.arraycopy(buf, 0, tail, 32 - n, n);
            }
            if (total >= 40 && tail[0] == 5 && ByteBuffer.wrap(tail, 8, 4).getInt() == 16) {
                break;
            }
        }
        return total;
    }

    @Test
    @Timeout(90)
    void aDestinationThatAcceptsAndNeverReads() throws Exception {
        sourceAgainst("accepts and never reads", s -> Thread.sleep(30_000), "no progress");
    }

    @Test
    @Timeout(90)
    void aDestinationThatReadsAndNeverReplies() throws Exception {
        sourceAgainst("reads and never replies", s -> {
            readAll(s.getInputStream());
            Thread.sleep(30_000);
        }, "no progress");
    }

    @Test
    @Timeout(90)
    void aDestinationThatRepliesGarbage() throws Exception {
        sourceAgainst("replies garbage", s -> {
            readAll(s.getInputStream());
            s.getOutputStream().write("\u0001garbage\u00ff\n".getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(5_000);
        }, "answered '?garbage");
    }

    @Test
    @Timeout(90)
    void aDestinationThatSaysOkBeforeReadingAnything() throws Exception {
        sourceAgainst("says OK at once", s -> {
            s.getOutputStream().write("OK\n".getBytes(StandardCharsets.US_ASCII));
            readAll(s.getInputStream());
            Thread.sleep(5_000);
        }, "answered 'OK', expected 'OK crc32c=");
    }

    @Test
    @Timeout(90)
    void aDestinationWhoseOkNamesAnotherStream() throws Exception {
        sourceAgainst("says OK naming another stream", s -> {
            long got = readAll(s.getInputStream());
            s.getOutputStream().write(String.format("OK crc32c=%08x bytes=%d\n", 0x12345678, got)
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(5_000);
        }, "expected 'OK crc32c=");
    }

    @Test
    @Timeout(120)
    void aDestinationThatClosesPartWay() throws Exception {
        // the default VM's stream is about 1.1 MB (its devices' states carry only their non-zero BAR pages): the last
        // close comes well before its end, beyond what the socket buffers absorb
        for (int n : new int[] {0, 7, 1_000, 400_000}) {
            sourceAgainst("closes after " + n + " bytes", s -> {
                InputStream in = s.getInputStream();
                in.readNBytes(n);
            }, "transport failure");
        }
    }

    @Test
    @Timeout(90)
    void aDestinationThatReadsSlowlyButSteadily() throws Exception {
        // Slow but steady: with 30 s per wait only the 8 s deadline for the whole exchange can end it (the stream,
        // about 1.1 MB, drains in some 1.5 s at this rate; the reply never comes).
        sourceAgainst("reads 192 KiB every 250 ms", s -> {
            InputStream in = s.getInputStream();
            for (int i = 0; i < 100; i++) {
                in.readNBytes(192 << 10);
                Thread.sleep(250);
            }
        }, "did not finish sending the stream and reading the reply within 8 s", 30, 8);
    }

    // ---------------------------------------------------------------- a real destination, a hostile source

    /** Frames of a stream, with their CRC32Cs, built by hand. */
    private static final class Frames {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Frames magic() {
            out.writeBytes("MMIOMIG\0".getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Frames frame(int type, int number, byte[] payload) {
            ByteBuffer f = ByteBuffer.allocate(12 + payload.length);
            f.put((byte) type).put((byte) 0).putShort((short) 0).putInt(number).putInt(payload.length).put(payload);
            CRC32C crc = new CRC32C();
            crc.update(f.array());
            out.writeBytes(f.array());
            out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
            return this;
        }

        Frames header(String vm, long streamLength, int devices, int ram, long writes) {
            byte[] name = vm.getBytes(StandardCharsets.UTF_8);
            ByteBuffer p = ByteBuffer.allocate(25 + name.length);
            p.putShort((short) 1).putShort((short) 0).putLong(streamLength).putInt(devices).putInt(ram)
                    .putInt((int) writes).put((byte) name.length).put(name);
            return frame(1, 0, p.array());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /**
     * Starts a real destination ({@code -Xmx256m}; 2 s for a connection's header, {@code timeout} seconds per wait
     * and for a source to come, 5 s for a stream), runs {@code hostile} against its port, and returns its report
     * once it ended.
     */
    private String destinationAgainst(String what, int timeout, Consumer<Integer> hostile) throws Exception {
        return destinationAgainst(what, timeout, 2, hostile);
    }

    private String destinationAgainst(String what, int timeout, int handshakeSeconds, Consumer<Integer> hostile)
            throws Exception {
        long start = System.nanoTime();
        Process destination = start("destination", "--listen", "0", "--json", "--timeout-s", String.valueOf(timeout),
                "--handshake-timeout-s", String.valueOf(handshakeSeconds), "--transfer-timeout-s", "5");
        int port = waitForPort("destination", destination);
        long listening = System.nanoTime();
        hostile.accept(port);
        assertTrue(destination.waitFor(60, TimeUnit.SECONDS), what + ": the destination did not end");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - listening);
        String in = output("destination");
        assertEquals(0, destination.exitValue(), what + ": " + in);
        long peak = Long.parseLong(field(in, "peakHeapBytes"));
        MEASURED.add(String.format("destination vs a source that %s: ended %d ms after it listened (%d ms with "
                + "process start), peak heap %d MiB of 256; %s: %s", what, ms,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), peak >> 20, field(in, "outcome"),
                field(in, "reason")));
        assertTrue(peak < 160L << 20, what + ": peak heap " + peak + " bytes: " + in);
        return in;
    }

    private static void assertRefusedUnchanged(String in, String reason) {
        assertEquals("refused", field(in, "outcome"), in);
        assertTrue(field(in, "reason").contains(reason), in);
        assertEquals("true", field(in, "unchanged"), in);
    }

    /** Sends {@code bytes} to the port, then keeps sending zeros until the peer stops taking them. */
    private static void send(int port, byte[] bytes, long thenZeros) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            byte[] zeros = new byte[1 << 16];
            for (long sent = 0; sent < thenZeros; sent += zeros.length) {
                out.write(zeros);
            }
            s.getInputStream().read(); // the refusal, or the close
        } catch (IOException e) {
            // the destination closed on us: expected
        }
    }

    @Test
    @Timeout(90)
    void aSectionAnnouncingOneGibibyteIsRefusedBeforeItsPayload() throws Exception {
        String in = destinationAgainst("announces a 1 GiB section", 10, port -> {
            Frames f = new Frames().magic().header(VM, 2L << 30, 3, 0, 0);
            byte[] frameHeader = ByteBuffer.allocate(12).put((byte) 2).put((byte) 0).putShort((short) 0).putInt(1)
                    .putInt(1 << 30).array();
            byte[] head = f.bytes();
            byte[] all = new byte[head.length + 12];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(frameHeader, 0, all, head.length, 12);
            send(port, all, 1L << 30);
        });
        assertRefusedUnchanged(in, "a payload of 1073741824 bytes, more than the limit of 16777216 bytes per "
                + "section (maxFrameBytes)");
    }

    @Test
    @Timeout(90)
    void aHeaderAnnouncingThreeMillionQueuedWritesIsRefusedAtOnce() throws Exception {
        String in = destinationAgainst("announces 3,000,000 queued writes", 3, port -> send(port,
                new Frames().magic().header(VM, 200_000_000L, 3, 0, 3_000_000).bytes(), 100_000_000L));
        // refused at its header, so it never became the source: the destination waited on for a real one
        assertTrue(in.contains("refused a connection from ") && in.contains("the header announces 3000000 queued "
                + "writes, more than the limit of 262144 (maxQueuedWrites)"), in);
        assertRefusedUnchanged(in, "no source presented a valid stream header within 3 s (1 connections refused)");
    }

    @Test
    @Timeout(90)
    void aStreamSentOneBytePerSecondIsRefusedAtTheTransferDeadline() throws Exception {
        String in = destinationAgainst("sends one byte per second after its header", 10, port -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                OutputStream out = s.getOutputStream();
                out.write(new Frames().magic().header(VM, 100_000, 3, 0, 0).bytes());
                out.flush();
                for (int i = 0; i < 30; i++) {
                    out.write(2);
                    out.flush();
                    Thread.sleep(1_000);
                }
            } catch (IOException | InterruptedException e) {
                // closed by the destination
            }
        });
        assertRefusedUnchanged(in, "did not finish the stream within 5 s");
    }

    /**
     * Connections that never present a valid header, all at once, some still open when the real source comes: the
     * listener refuses each and takes the real source's migration.
     */
    @Test
    @Timeout(120)
    void connectionsThatSendNothingValidDoNotKeepTheRealSourceOut() throws Exception {
        List<Thread> hostile = new ArrayList<>();
        String[] src = new String[1];
        // the real source connects before it walks its devices to STOP_COPY and sends its header after: on a loaded
        // machine that took over 2 s, so it gets 8 (the idle and the one-byte-a-second peers are still refused)
        String in = destinationAgainst("sends nothing valid, beside the real source", 20, 8, port -> {
            hostile.add(peer(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()));
            hostile.add(peer(() -> send(port, "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0)));
            hostile.add(peer(() -> send(port, new Frames().magic().header("another-vm", 1000, 3, 0, 0).bytes(), 0)));
            hostile.add(peer(() -> send(port, ByteBuffer.allocate(20).put("MMIOMIG\0".getBytes(
                    StandardCharsets.US_ASCII)).put((byte) 1).put(new byte[3]).putInt(0).putInt(-1).array(), 0)));
            hostile.add(peer(() -> { // idle
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.getInputStream().read();
                }
            }));
            hostile.add(peer(() -> { // one byte per second, never a whole header
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    byte[] head = new Frames().magic().header(VM, 1000, 3, 0, 0).bytes();
                    for (byte b : head) {
                        s.getOutputStream().write(b);
                        Thread.sleep(1_000);
                    }
                }
            }));
            try {
                Thread.sleep(300);
                Process source = start("source", "--to", "127.0.0.1:" + port, "--json");
                assertTrue(source.waitFor(60, TimeUnit.SECONDS), "the real source did not end");
                src[0] = output("source");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        for (Thread t : hostile) {
            t.join(10_000);
        }
        assertEquals("completed", field(in, "outcome"), in + "\nsource: " + src[0]);
        assertEquals("completed", field(src[0], "outcome"), src[0]);
        assertEquals(field(src[0], "expectedDigest"), field(in, "sourcePartDigest"), in + src[0]);
        for (String why : List.of("a stream of VM 'another-vm', this destination runs 'demo-q35'",
                "not a migration stream", "closed without sending a stream", "more than the limit of 16777216 bytes per section")) {
            assertTrue(in.contains("refused a connection from ") && in.contains(why), why + ": " + in);
        }
    }

    private interface Peer {
        void run() throws Exception;
    }

    private static Thread peer(Peer p) {
        Thread t = new Thread(() -> {
            try {
                p.run();
            } catch (Exception e) {
                // the destination refusing and closing is what these peers meet
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
