package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The golden vector of the migration stream, version 1: a small stream written out field by field from the layout
 * in the {@linkplain dev.mmiomediator.migration.stream package documentation}, not by the encoder, with only the
 * CRC32C fields computed (by {@link CRC32C}, not by production code). It must equal the committed fixtures
 * {@code migration/golden-v1.bin} (the raw bytes) and {@code migration/golden-v1.hex} (the same bytes as annotated
 * hex); the decoder must read exactly the image it was built from, and the encoder must write it byte for byte.
 * Unlike a round trip, this catches a mistake made alike on both sides (field order, width, endianness).
 *
 * <p>To regenerate the fixtures after a deliberate format change (a new version gets new files, v1's stay):
 * {@code -Dgolden.write=<dir>} writes both into {@code dir}.
 */
class GoldenStreamTest {
    private static final String BIN = "/migration/golden-v1.bin";
    private static final String HEX = "/migration/golden-v1.hex";

    /** 0000:01:00.0: STOP_COPY|P2P, 5 state bytes. */
    private static final PciAddress NIC = new PciAddress(0x0000, 0x01, 0x00, 0);
    /** 0001:82:1f.7: STOP_COPY, no state bytes; domain, bus &ge; 0x80, device and function at their maximum. */
    private static final PciAddress FPGA = new PciAddress(0x0001, 0x82, 0x1f, 7);
    /** 8 UTF-16 chars, 7 code points, 13 UTF-8 bytes: "ram-", U+00E9, U+20AC, U+1F600. */
    private static final String UTF8_REGION = "ram-\u00e9\u20ac\ud83d\ude00";

    /** The image the vector holds, built with the public constructors. */
    private static MigrationImage image() {
        return new MigrationImage("golden",
                List.of(new DeviceSection(NIC, MigrationFlags.WITH_P2P, hex("de ad be ef 2a")),
                        new DeviceSection(FPGA, MigrationFlags.STOP_COPY_ONLY, new byte[0])),
                List.of(new RamSection("pc.ram", 0x1000, hex("11 22 33 44")),
                        new RamSection("pc.ram", 0x10_0000, hex("a5 5a ff")),
                        new RamSection(UTF8_REGION, 0x1_0000_0000L, hex("00 ff"))),
                List.of(new QueuedWrite(7, "virtio-net", NIC, 0, 0x10, hex("01 02 03 04")),
                        new QueuedWrite(8, "nvme", FPGA, 2, 0x148, hex("10 11 12 13 14 15 16 17")),
                        new QueuedWrite(0x101, "virtio-net", FPGA, 5, 0x2_0000_0040L, hex("80"))));
    }

    /**
     * The vector, field by field, from the documented layout. Every length, count, offset and the stream length
     * are written out by hand; only the CRC32C fields are computed.
     */
    private static Vector golden() {
        Vector v = new Vector();
        v.frame(0x00, "magic");
        v.field("4d 4d 49 4f 4d 49 47 00", "magic \"MMIOMIG\\0\"");

        v.frame(0x08, "frame 0: HEADER (L = 25 + n = 31)");
        v.field("01", "type: 1 HEADER");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 00", "section number: 0");
        v.field("00 00 00 1f", "payload length L: 31");
        v.field("00 01", "version: 1");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 00 00 00 01 8b", "stream length: 395 bytes, magic to END's CRC");
        v.field("00 00 00 02", "N: 2 DEVICE_STATE sections");
        v.field("00 00 00 03", "M: 3 RAM sections");
        v.field("00 00 00 03", "W: 3 queued writes");
        v.field("06", "n: VM name length 6");
        v.field("67 6f 6c 64 65 6e", "VM name \"golden\"");
        v.frameCrc(0x08, "CRC32C of frame bytes 0x0008..0x0032");

        v.frame(0x37, "frame 1: DEVICE_STATE 0000:01:00.0 (L = 9 + s = 14)");
        v.field("02", "type: 2 DEVICE_STATE");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 01", "section number: 1");
        v.field("00 00 00 0e", "payload length L: 14");
        v.field("00 00", "PCI domain 0x0000");
        v.field("01", "bus 0x01");
        v.field("00", "device 0x00");
        v.field("00", "function 0");
        v.field("00 00 00 03", "VFIO migration flags: STOP_COPY|P2P (1|2)");
        v.field("de ad be ef 2a", "state bytes, s = 5");
        v.frameCrc(0x37, "CRC32C of frame bytes 0x0037..0x0050");

        v.frame(0x55, "frame 2: DEVICE_STATE 0001:82:1f.7 (L = 9 + s = 9)");
        v.field("02", "type: 2 DEVICE_STATE");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 02", "section number: 2");
        v.field("00 00 00 09", "payload length L: 9");
        v.field("00 01", "PCI domain 0x0001");
        v.field("82", "bus 0x82");
        v.field("1f", "device 0x1f");
        v.field("07", "function 7");
        v.field("00 00 00 01", "VFIO migration flags: STOP_COPY (1); no state bytes, s = 0");
        v.frameCrc(0x55, "CRC32C of frame bytes 0x0055..0x0069");

        v.frame(0x6e, "frame 3: RAM pc.ram+0x1000 (L = 10 + r + d = 10 + 6 + 4 = 20)");
        v.field("03", "type: 3 RAM");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 03", "section number: 3");
        v.field("00 00 00 14", "payload length L: 20");
        v.field("00 06", "r: region name length 6");
        v.field("70 63 2e 72 61 6d", "region name \"pc.ram\"");
        v.field("00 00 00 00 00 00 10 00", "offset 0x1000");
        v.field("11 22 33 44", "data, d = 4");
        v.frameCrc(0x6e, "CRC32C of frame bytes 0x006e..0x008d");

        v.frame(0x92, "frame 4: RAM pc.ram+0x100000 (L = 10 + 6 + 3 = 19)");
        v.field("03", "type: 3 RAM");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 04", "section number: 4");
        v.field("00 00 00 13", "payload length L: 19");
        v.field("00 06", "r: region name length 6");
        v.field("70 63 2e 72 61 6d", "region name \"pc.ram\"");
        v.field("00 00 00 00 00 10 00 00", "offset 0x100000");
        v.field("a5 5a ff", "data, d = 3");
        v.frameCrc(0x92, "CRC32C of frame bytes 0x0092..0x00b0");

        v.frame(0xb5, "frame 5: RAM \"ram-\u00e9\u20ac\ud83d\ude00\"+0x100000000 (L = 10 + 13 + 2 = 25)");
        v.field("03", "type: 3 RAM");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 05", "section number: 5");
        v.field("00 00 00 19", "payload length L: 25");
        v.field("00 0d", "r: region name length 13 (UTF-8 bytes, not chars or code points)");
        v.field("72 61 6d 2d", "region name: \"ram-\"");
        v.field("c3 a9", "  U+00E9 LATIN SMALL LETTER E WITH ACUTE, 2 bytes");
        v.field("e2 82 ac", "  U+20AC EURO SIGN, 3 bytes");
        v.field("f0 9f 98 80", "  U+1F600 GRINNING FACE, 4 bytes (a surrogate pair in UTF-16)");
        v.field("00 00 00 01 00 00 00 00", "offset 0x100000000 (above 2^32)");
        v.field("00 ff", "data, d = 2");
        v.frameCrc(0xb5, "CRC32C of frame bytes 0x00b5..0x00d9");

        v.frame(0xde, "frame 6: QUEUED_WRITES (L = 4 + 42 + 40 + 39 = 125; an entry is 28 + i + d)");
        v.field("04", "type: 4 QUEUED_WRITES");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 06", "section number: 6");
        v.field("00 00 00 7d", "payload length L: 125");
        v.field("00 00 00 03", "W again: 3");
        v.frame(0xee, "queued write 0 (28 + 10 + 4 = 42 bytes)");
        v.field("00 00 00 00 00 00 00 07", "sequence 7");
        v.field("00 0a", "i: initiator id length 10");
        v.field("76 69 72 74 69 6f 2d 6e 65 74", "initiator id \"virtio-net\"");
        v.field("00 00 01 00 00", "target device 0000:01:00.0 (domain u16, bus, device, function)");
        v.field("00", "BAR 0");
        v.field("00 00 00 00 00 00 00 10", "offset in the BAR 0x10");
        v.field("00 00 00 04", "length d: 4");
        v.field("01 02 03 04", "data");
        v.frame(0x118, "queued write 1 (28 + 4 + 8 = 40 bytes)");
        v.field("00 00 00 00 00 00 00 08", "sequence 8");
        v.field("00 04", "i: initiator id length 4");
        v.field("6e 76 6d 65", "initiator id \"nvme\"");
        v.field("00 01 82 1f 07", "target device 0001:82:1f.7");
        v.field("02", "BAR 2");
        v.field("00 00 00 00 00 00 01 48", "offset in the BAR 0x148");
        v.field("00 00 00 08", "length d: 8");
        v.field("10 11 12 13 14 15 16 17", "data");
        v.frame(0x140, "queued write 2 (28 + 10 + 1 = 39 bytes)");
        v.field("00 00 00 00 00 00 01 01", "sequence 0x101");
        v.field("00 0a", "i: initiator id length 10");
        v.field("76 69 72 74 69 6f 2d 6e 65 74", "initiator id \"virtio-net\"");
        v.field("00 01 82 1f 07", "target device 0001:82:1f.7");
        v.field("05", "BAR 5");
        v.field("00 00 00 02 00 00 00 40", "offset in the BAR 0x200000040");
        v.field("00 00 00 01", "length d: 1");
        v.field("80", "data");
        v.frameCrc(0xde, "CRC32C of frame bytes 0x00de..0x0166");

        v.frame(0x16b, "frame 7: END (L = 16)");
        v.field("05", "type: 5 END");
        v.field("00", "flags: 0");
        v.field("00 00", "reserved: 0");
        v.field("00 00 00 07", "section number: 7 = N + M + 2");
        v.field("00 00 00 10", "payload length L: 16");
        v.field("00 00 00 02", "N again: 2");
        v.field("00 00 00 03", "M again: 3");
        v.field("00 00 00 03", "W again: 3");
        v.crc(0x00, 0x16b, "stream CRC32C of stream bytes 0x0000..0x016a (everything before this frame)");
        v.frameCrc(0x16b, "CRC32C of frame bytes 0x016b..0x0186");
        v.frame(0x18b, null);
        return v;
    }

    @Test
    void handBuiltVectorEqualsBothFixtures() throws IOException {
        Vector v = golden();
        byte[] built = v.bytes();
        assertEquals(395, built.length);
        assertBytes(v, resource(BIN), "fixture " + BIN);
        assertBytes(v, parseHex(new String(resource(HEX), StandardCharsets.UTF_8)), "fixture " + HEX);
    }

    @Test
    void crc32cIsTheCastagnoliCrc() {
        CRC32C crc = new CRC32C(); // the check value a second implementation can test its CRC32C against
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xe3069283L, crc.getValue());
    }

    @Test
    void decodesTheFixtureFieldByField() throws StreamFormatException, IOException {
        byte[] fixture = resource(BIN);
        ByteBuf buf = Unpooled.wrappedBuffer(fixture);
        MigrationImage image = MigrationStream.decode(buf);
        assertEquals(fixture.length, buf.readerIndex(), "decode consumes the whole stream");
        assertGolden(image);
    }

    @Test
    void readsTheFixtureFromAnInputStreamAndStopsAfterEnd() throws StreamFormatException, IOException {
        byte[] fixture = resource(BIN);
        byte[] withTail = new byte[fixture.length + 3];
        System.arraycopy(fixture, 0, withTail, 0, fixture.length);
        withTail[fixture.length] = (byte) 0xee;
        InputStream in = new ByteArrayInputStream(withTail);
        MigrationImage image = MigrationStream.read(in, fixture.length);
        assertGolden(image);
        assertEquals(3, in.available(), "read stops right after END's CRC");
        assertEquals(image(), image);
    }

    @Test
    void encoderWritesTheFixtureByteForByte() throws IOException {
        Vector v = golden();
        MigrationImage image = image();
        assertEquals(395, MigrationStream.encodedLength(image));
        ByteBuf buf = MigrationStream.encode(image, UnpooledByteBufAllocator.DEFAULT);
        try {
            byte[] encoded = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), encoded);
            assertBytes(v, encoded, "MigrationStream.encode");
        } finally {
            buf.release();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStream.write(image, out);
        assertBytes(v, out.toByteArray(), "MigrationStream.write");
        assertArrayEquals(resource(BIN), out.toByteArray());
    }

    /** Writes the fixtures from the hand-built vector, when {@code -Dgolden.write=<dir>} asks for it. */
    @Test
    void writeFixturesWhenAsked() throws IOException {
        String dir = System.getProperty("golden.write");
        if (dir == null) {
            return;
        }
        Vector v = golden();
        Path d = Path.of(dir);
        Files.createDirectories(d);
        Files.write(d.resolve("golden-v1.bin"), v.bytes());
        Files.writeString(d.resolve("golden-v1.hex"), v.render(), StandardCharsets.UTF_8);
    }

    /** The decoded image, against the literal values the vector's bytes spell. */
    private static void assertGolden(MigrationImage image) {
        assertEquals("golden", image.vm());

        assertEquals(2, image.devices().size());
        DeviceSection d0 = image.devices().get(0);
        assertEquals(new PciAddress(0x0000, 0x01, 0x00, 0), d0.device());
        assertEquals("0000:01:00.0", d0.device().toString());
        assertEquals(MigrationFlags.WITH_P2P, d0.flags());
        assertEquals(0b011, d0.flags().bits());
        assertArrayEquals(hex("de ad be ef 2a"), d0.state());
        DeviceSection d1 = image.devices().get(1);
        assertEquals(new PciAddress(0x0001, 0x82, 0x1f, 7), d1.device());
        assertEquals("0001:82:1f.7", d1.device().toString());
        assertEquals(MigrationFlags.STOP_COPY_ONLY, d1.flags());
        assertEquals(0b001, d1.flags().bits());
        assertArrayEquals(new byte[0], d1.state());

        assertEquals(3, image.ram().size());
        RamSection r0 = image.ram().get(0);
        assertEquals("pc.ram", r0.region());
        assertEquals(0x1000L, r0.offset());
        assertArrayEquals(hex("11 22 33 44"), r0.data());
        RamSection r1 = image.ram().get(1);
        assertEquals("pc.ram", r1.region());
        assertEquals(0x10_0000L, r1.offset());
        assertArrayEquals(hex("a5 5a ff"), r1.data());
        RamSection r2 = image.ram().get(2);
        assertEquals(UTF8_REGION, r2.region());
        assertEquals(8, r2.region().length());
        assertEquals(7, r2.region().codePointCount(0, r2.region().length()));
        assertEquals(0x1_0000_0000L, r2.offset());
        assertArrayEquals(hex("00 ff"), r2.data());

        assertEquals(3, image.queuedWrites().size());
        QueuedWrite w0 = image.queuedWrites().get(0);
        assertEquals(7, w0.sequence());
        assertEquals("virtio-net", w0.initiator());
        assertEquals(NIC, w0.device());
        assertEquals(0, w0.bar());
        assertEquals(0x10L, w0.offset());
        assertArrayEquals(hex("01 02 03 04"), w0.data());
        QueuedWrite w1 = image.queuedWrites().get(1);
        assertEquals(8, w1.sequence());
        assertEquals("nvme", w1.initiator());
        assertEquals(FPGA, w1.device());
        assertEquals(2, w1.bar());
        assertEquals(0x148L, w1.offset());
        assertArrayEquals(hex("10 11 12 13 14 15 16 17"), w1.data());
        QueuedWrite w2 = image.queuedWrites().get(2);
        assertEquals(0x101, w2.sequence());
        assertEquals("virtio-net", w2.initiator());
        assertEquals(FPGA, w2.device());
        assertEquals(5, w2.bar());
        assertEquals(0x2_0000_0040L, w2.offset());
        assertArrayEquals(hex("80"), w2.data());

        assertEquals(image(), image, "the image the vector was built from");
    }

    /** Fails at the first byte where {@code actual} differs from the vector, naming the vector's field there. */
    private static void assertBytes(Vector v, byte[] actual, String what) {
        byte[] expected = v.bytes();
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                fail(String.format("%s differs from the golden vector at byte 0x%04x: 0x%02x, expected 0x%02x, in "
                        + "the field %s", what, i, actual[i] & 0xff, expected[i] & 0xff, v.fieldAt(i)));
            }
        }
        assertEquals(expected.length, actual.length, what + ": length");
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GoldenStreamTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    /** Whitespace-separated two-digit hex bytes; {@code #} starts a comment to the end of the line. */
    static byte[] parseHex(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : text.split("\n", -1)) {
            int hash = line.indexOf('#');
            String data = hash < 0 ? line : line.substring(0, hash);
            for (String token : data.trim().split("\\s+")) {
                if (token.isEmpty()) {
                    continue;
                }
                if (!token.matches("[0-9a-fA-F]{2}")) {
                    throw new IllegalArgumentException("not a hex byte: '" + token + "' in line '" + line + "'");
                }
                out.write(Integer.parseInt(token, 16));
            }
        }
        return out.toByteArray();
    }

    private static byte[] hex(String text) {
        return parseHex(text);
    }

    /** The vector as it is built: its bytes and, for each field, where it starts and what it is. */
    private static final class Vector {
        /** A field, or a heading (no bytes). */
        private record Field(int offset, byte[] bytes, String what) {
        }

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final List<Field> fields = new ArrayList<>();

        /** Starts a part of the vector at {@code offset}, checking the hand-computed lengths got there. */
        void frame(int offset, String heading) {
            assertEquals(offset, out.size(), "the vector's hand-written lengths: " + heading + " starts at");
            if (heading != null) {
                fields.add(new Field(offset, new byte[0], heading));
            }
        }

        void field(String hex, String what) {
            add(parseHex(hex), what);
        }

        /** The CRC32C of the frame from {@code start} to here (type to end of payload), as a big-endian u32. */
        void frameCrc(int start, String what) {
            crc(start, out.size(), what);
        }

        /** The CRC32C of the bytes {@code from} to {@code to} - 1, as a big-endian u32. */
        void crc(int from, int to, String what) {
            CRC32C crc = new CRC32C();
            crc.update(out.toByteArray(), from, to - from);
            long value = crc.getValue();
            add(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value},
                    String.format("%s: 0x%08x", what, value));
        }

        private void add(byte[] bytes, String what) {
            fields.add(new Field(out.size(), bytes, what));
            out.writeBytes(bytes);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        String fieldAt(int index) {
            for (Field f : fields) {
                if (index >= f.offset && index < f.offset + f.bytes.length) {
                    return String.format("at 0x%04x '%s'", f.offset, f.what);
                }
            }
            return "(none)";
        }

        /** The annotated hex: one field a line, its stream offset and meaning in a comment. */
        String render() {
            StringBuilder sb = new StringBuilder();
            sb.append("# MMIO Mediator migration stream, version 1: golden vector (").append(out.size())
                    .append(" bytes).\n")
                    .append("# The layout is in mediator/src/main/java/dev/mmiomediator/migration/stream/"
                            + "package-info.java;\n")
                    .append("# the same bytes, raw, are golden-v1.bin. Built field by field in GoldenStreamTest.\n")
                    .append("# Format: two-digit hex bytes separated by whitespace; '#' starts a comment to the end"
                            + " of the line.\n")
                    .append("# Comments give each field's offset from the first magic byte, then its meaning.\n")
                    .append("# All integers are big-endian. CRC32C fields hold CRC32C (Castagnoli, as\n")
                    .append("# java.util.zip.CRC32C; check value 0xe3069283 for \"123456789\") as a big-endian u32.\n")
                    .append("# To get the raw bytes: sed 's/#.*//' golden-v1.hex | xxd -r -p > golden-v1.bin\n")
                    .append("#\n")
                    .append("# VM \"golden\"; devices 0000:01:00.0 (STOP_COPY|P2P, 5 state bytes) and 0001:82:1f.7\n")
                    .append("# (STOP_COPY, no state bytes); RAM pc.ram+0x1000/4, pc.ram+0x100000/3,\n")
                    .append("# \"ram-\u00e9\u20ac\ud83d\ude00\"+0x100000000/2; queued writes #7 virtio-net -> "
                            + "0000:01:00.0 BAR 0+0x10/4,\n")
                    .append("# #8 nvme -> 0001:82:1f.7 BAR 2+0x148/8, #0x101 virtio-net -> 0001:82:1f.7 BAR "
                            + "5+0x200000040/1.\n");
            for (Field f : fields) {
                if (f.bytes.length == 0) {
                    sb.append('\n').append(String.format("# ---- 0x%04x %s", f.offset, f.what)).append('\n');
                    continue;
                }
                StringBuilder h = new StringBuilder();
                for (byte b : f.bytes) {
                    h.append(h.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xff));
                }
                sb.append(String.format("%-30s # 0x%04x  %s", h, f.offset, f.what).stripTrailing()).append('\n');
            }
            return sb.toString();
        }
    }
}
