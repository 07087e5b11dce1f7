package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamReader} in bounded memory: each limit refuses as soon as the value it bounds is read, before any
 * byte of what it would let in; RAM goes to the sink as it arrives, not into the image; the digest is the end
 * marker's checksum and the stream's length; the header check refuses at the header.
 */
class StreamReaderTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");

    private static MigrationImage image() {
        return new MigrationImage("demo-q35",
                List.of(new DeviceSection(NIC, MigrationFlags.ALL, new byte[100])),
                List.of(new RamSection("pc.ram", 0, new byte[] {1, 2, 3}), new RamSection("pc.ram", 8, new byte[] {4})),
                List.of(new QueuedWrite(3, "nvme", NIC, 0, 0x10, new byte[8]),
                        new QueuedWrite(4, "nvme", NIC, 0, 0x18, new byte[8])));
    }

    private static byte[] bytes(MigrationImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStream.write(image, out);
        return out.toByteArray();
    }

    /** Counts the bytes read from it. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        long read;

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            read += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            read += Math.max(0, n);
            return n;
        }
    }

    /** A stream that announces {@code payload} bytes for its first device section and then sends endless zeros. */
    private static InputStream announcing(long payload, long writes) {
        byte[] name = "demo-q35".getBytes();
        ByteBuffer header = ByteBuffer.allocate(25 + name.length);
        header.putShort((short) 1).putShort((short) 0).putLong(1L << 34).putInt(1).putInt(0).putInt((int) writes)
                .put((byte) name.length).put(name);
        ByteBuffer frame = ByteBuffer.allocate(12 + header.capacity() + 4);
        frame.put((byte) 1).put((byte) 0).putShort((short) 0).putInt(0).putInt(header.capacity()).put(header.array());
        CRC32C crc = new CRC32C();
        crc.update(frame.array(), 0, frame.position());
        frame.putInt((int) crc.getValue());
        ByteBuffer device = ByteBuffer.allocate(12).put((byte) 2).put((byte) 0).putShort((short) 0).putInt(1)
                .putInt((int) payload);
        byte[] start = ByteBuffer.allocate(8 + frame.capacity() + 12).put("MMIOMIG\0".getBytes())
                .put(frame.array()).put(device.array()).array();
        return new InputStream() {
            int at;

            @Override
            public int read() {
                return at < start.length ? start[at++] & 0xff : 0;
            }
        };
    }

    @Test
    void aSectionLongerThanTheFrameLimitIsRefusedBeforeAnyOfItsPayloadIsRead() {
        Counting in = new Counting(announcing(1L << 30, 0));
        StreamReader r = new StreamReader(in, StreamLimits.DEFAULT, section -> { }, null);
        StreamFormatException e = assertThrows(StreamFormatException.class, () -> {
            r.header();
            r.rest();
        });
        assertTrue(e.getMessage().contains("a payload of 1073741824 bytes, more than the limit of 16777216 bytes "
                + "per section (maxFrameBytes)"), e.getMessage());
        assertEquals(8 + 16 + 33 + 12, in.read, "bytes read: the magic, the header frame and 12 frame header bytes");
    }

    @Test
    void moreQueuedWritesThanTheLimitAreRefusedAtTheHeader() {
        Counting in = new Counting(announcing(100, 3_000_000));
        StreamReader r = new StreamReader(in, StreamLimits.DEFAULT, section -> { }, null);
        StreamFormatException e = assertThrows(StreamFormatException.class, r::header);
        assertTrue(e.getMessage().contains("the header announces 3000000 queued writes, more than the limit of "
                + "262144 (maxQueuedWrites)"), e.getMessage());
        assertEquals(8 + 16 + 33, in.read, "bytes read: the magic and the header frame");
    }

    @Test
    void aHeaderAnnouncingALongerStreamThanTheLimitIsRefused() throws IOException {
        byte[] stream = bytes(image());
        StreamReader r = new StreamReader(new ByteArrayInputStream(stream),
                StreamLimits.DEFAULT.withMaxStreamBytes(stream.length - 1), null, null);
        StreamFormatException e = assertThrows(StreamFormatException.class, r::header);
        assertTrue(e.getMessage().contains("the header announces a stream of " + stream.length + " bytes, more than "
                + "the limit of " + (stream.length - 1) + " bytes (maxStreamBytes)"), e.getMessage());
    }

    @Test
    void deviceStatesPastTheirLimitAreRefused() throws Exception {
        StreamReader r = new StreamReader(new ByteArrayInputStream(bytes(image())),
                StreamLimits.DEFAULT.withMaxDeviceStateBytes(99), null, null);
        r.header();
        StreamFormatException e = assertThrows(StreamFormatException.class, r::rest);
        assertTrue(e.getMessage().contains("device states of 100 bytes so far, more than the limit of 99 bytes"),
                e.getMessage());
    }

    @Test
    void ramGoesToTheSinkInOrderAndNotIntoTheImage() throws Exception {
        MigrationImage image = image();
        byte[] stream = bytes(image);
        List<RamSection> sunk = new ArrayList<>();
        StreamReader r = new StreamReader(new ByteArrayInputStream(stream), StreamLimits.DEFAULT, sunk::add, null);
        StreamHeader h = r.header();
        assertEquals(new StreamHeader("demo-q35", 1, 2, 2, stream.length), h);
        ReceivedStream got = r.rest();
        assertEquals(image.ram(), sunk);
        assertTrue(got.image().ram().isEmpty(), "RAM kept in the image");
        assertEquals(image.queuedWrites(), got.image().queuedWrites());
        assertArrayEquals(image.devices().get(0).state(), got.image().devices().get(0).state());
        CRC32C crc = new CRC32C();
        crc.update(stream, 0, stream.length - 32);
        assertEquals(new StreamDigest(stream.length, (int) crc.getValue()), got.digest());
        assertEquals(MigrationStream.write(image, new ByteArrayOutputStream()), got.digest(),
                "the digest write returns is the one the reader finds");
    }

    @Test
    void aSinkThatRefusesASectionRefusesTheStreamThere() throws Exception {
        StreamReader r = new StreamReader(new ByteArrayInputStream(bytes(image())), StreamLimits.DEFAULT, s -> {
            if (s.offset() == 8) {
                throw new IllegalArgumentException("RAM section pc.ram+0x8/1: outside this VM");
            }
        }, null);
        r.header();
        StreamFormatException e = assertThrows(StreamFormatException.class, r::rest);
        assertTrue(e.getMessage().contains("section 3 (ram)") && e.getMessage().contains("outside this VM"),
                e.getMessage());
    }

    @Test
    void theHeaderCheckRefusesAtTheHeader() throws IOException {
        Counting in = new Counting(new ByteArrayInputStream(bytes(image())));
        StreamReader r = new StreamReader(in, StreamLimits.DEFAULT, null,
                (vm, devices, ram, writes) -> vm.equals("other") ? null : "a stream of VM '" + vm + "'");
        StreamFormatException e = assertThrows(StreamFormatException.class, r::header);
        assertTrue(e.getMessage().contains("section 0 (header)") && e.getMessage().contains("a stream of VM "
                + "'demo-q35'"), e.getMessage());
        assertEquals(8 + 16 + 33, in.read, "bytes read: the magic and the header frame");
    }

    @Test
    void aTruncatedStreamSaysWhere() throws IOException {
        byte[] stream = bytes(image());
        for (int cut : new int[] {0, 5, 8, 20, 57, 60, stream.length - 1}) {
            byte[] part = java.util.Arrays.copyOf(stream, cut);
            StreamFormatException e = assertThrows(StreamFormatException.class, () -> {
                StreamReader r = new StreamReader(new ByteArrayInputStream(part), StreamLimits.DEFAULT, null, null);
                r.header();
                r.rest();
            }, "cut at " + cut);
            assertTrue(e.getMessage().contains("truncated"), cut + ": " + e.getMessage());
        }
    }
}
