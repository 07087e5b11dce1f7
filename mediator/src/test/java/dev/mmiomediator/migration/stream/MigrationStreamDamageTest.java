package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The migration stream against damage: a valid stream round-trips; every truncation, every single-bit change of
 * every byte, sections swapped, a future version and trailing bytes are each refused with a
 * {@link StreamFormatException} naming what is wrong, and the buffer is left as it was.
 */
class MigrationStreamDamageTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress FPGA = PciAddress.parse("0000:03:00.0");

    private static MigrationImage image() {
        return new MigrationImage("demo-q35",
                List.of(new DeviceSection(NIC, MigrationFlags.ALL, new byte[] {1, 2, 3, 4, 5}),
                        new DeviceSection(FPGA, MigrationFlags.STOP_COPY_ONLY, new byte[] {9, 8, 7})),
                List.of(new RamSection("pc.ram", 0x1000, new byte[] {0x11, 0x22, 0x33, 0x44})),
                List.of(new QueuedWrite(0, "virtio-net", FPGA, 0, 0x10, new byte[] {1, 1, 1, 1, 1, 1, 1, 1}),
                        new QueuedWrite(1, "nvme", FPGA, 2, 0x148, new byte[] {2, 2, 2, 2}),
                        new QueuedWrite(2, "virtio-net", NIC, 0, 0x18, new byte[] {3})));
    }

    private static byte[] encoded(MigrationImage image) {
        ByteBuf buf = MigrationStream.encode(image, UnpooledByteBufAllocator.DEFAULT);
        try {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    /** Where each frame starts, in stream order. */
    private static List<Integer> frames(byte[] stream) {
        List<Integer> starts = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(stream);
        for (int at = MigrationStream.MAGIC.length; at < stream.length;
             at += MigrationStream.FRAME_OVERHEAD + b.getInt(at + 8)) {
            starts.add(at);
        }
        return starts;
    }

    /** Decodes {@code stream}, expecting a refusal; checks the buffer was not consumed. */
    private static StreamFormatException refused(byte[] stream, String what) {
        ByteBuf buf = Unpooled.wrappedBuffer(stream);
        try {
            MigrationStream.decode(buf);
        } catch (StreamFormatException e) {
            assertEquals(0, buf.readerIndex(), what + ": a refusal moved the reader index");
            return e;
        }
        return fail(what + ": accepted");
    }

    private static void assertSame(MigrationImage expected, MigrationImage actual) {
        assertEquals(expected.vm(), actual.vm());
        assertEquals(expected.devices().size(), actual.devices().size());
        for (int i = 0; i < expected.devices().size(); i++) {
            assertEquals(expected.devices().get(i).device(), actual.devices().get(i).device());
            assertEquals(expected.devices().get(i).flags(), actual.devices().get(i).flags());
            assertArrayEquals(expected.devices().get(i).state(), actual.devices().get(i).state());
        }
        assertEquals(expected.ram().size(), actual.ram().size());
        for (int i = 0; i < expected.ram().size(); i++) {
            assertEquals(expected.ram().get(i).region(), actual.ram().get(i).region());
            assertEquals(expected.ram().get(i).offset(), actual.ram().get(i).offset());
            assertArrayEquals(expected.ram().get(i).data(), actual.ram().get(i).data());
        }
        assertEquals(expected.queuedWrites().size(), actual.queuedWrites().size());
        for (int i = 0; i < expected.queuedWrites().size(); i++) {
            QueuedWrite e = expected.queuedWrites().get(i);
            QueuedWrite a = actual.queuedWrites().get(i);
            assertEquals(List.of(e.sequence(), e.initiator(), e.device(), e.bar(), e.offset()),
                    List.of(a.sequence(), a.initiator(), a.device(), a.bar(), a.offset()));
            assertArrayEquals(e.data(), a.data());
        }
    }

    @Test
    void aValidStreamRoundTripsInOrder() throws Exception {
        MigrationImage image = image();
        byte[] stream = encoded(image);
        assertEquals(MigrationStream.encodedLength(image), stream.length);
        assertEquals(List.of(1, 2, 2, 3, 4, 5), frames(stream).stream().map(at -> (int) stream[at]).toList(),
                "header, device-state x2, ram, queued-writes, end");
        ByteBuf buf = Unpooled.wrappedBuffer(stream);
        assertSame(image, MigrationStream.decode(buf));
        assertEquals(stream.length, buf.readerIndex());
    }

    @Test
    void readStopsRightAfterTheEndMarker() throws Exception {
        MigrationImage image = image();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStream.write(image, out);
        out.write(new byte[] {'O', 'K'});
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertSame(image, MigrationStream.read(in, 1 << 20));
        assertEquals(2, in.available(), "read consumed bytes after the end marker");
    }

    @Test
    void everyTruncationIsRefusedAsTruncated() throws IOException {
        byte[] stream = encoded(image());
        for (int length = 0; length < stream.length; length++) {
            byte[] cut = Arrays.copyOf(stream, length);
            StreamFormatException e = refused(cut, "cut to " + length + " bytes");
            assertTrue(e.getMessage().contains("truncated"), "cut to " + length + ": " + e.getMessage());
            StreamFormatException r = assertThrows(StreamFormatException.class,
                    () -> MigrationStream.read(new ByteArrayInputStream(cut), 1 << 20), "read, cut to " + length);
            assertTrue(r.getMessage().contains("truncated"), "read, cut to " + length + ": " + r.getMessage());
        }
    }

    @Test
    void everySingleBitChangeOfEveryByteIsRefused() {
        byte[] stream = encoded(image());
        for (int at = 0; at < stream.length; at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] damaged = stream.clone();
                damaged[at] ^= (byte) (1 << bit);
                refused(damaged, "byte " + at + " bit " + bit);
            }
        }
    }

    @Test
    void everyByteReplacedWithAnyOtherValueIsRefused() {
        byte[] stream = encoded(image());
        for (int at = 0; at < stream.length; at++) {
            for (int v = 1; v < 256; v += 17) {
                byte[] damaged = stream.clone();
                damaged[at] ^= (byte) v;
                refused(damaged, "byte " + at + " xor " + v);
            }
        }
    }

    @Test
    void swappedSectionsAreRefusedAsReordered() {
        byte[] stream = encoded(image());
        List<Integer> f = frames(stream);
        int a = f.get(1);
        int b = f.get(2);
        int c = f.get(3);
        // The two device-state frames exchanged, each with its own valid CRC.
        ByteBuffer swapped = ByteBuffer.allocate(stream.length);
        swapped.put(stream, 0, a).put(stream, b, c - b).put(stream, a, b - a).put(stream, c, stream.length - c);
        StreamFormatException e = refused(swapped.array(), "device sections swapped");
        assertTrue(e.getMessage().contains("section number 2, expected 1"), e.getMessage());
        assertTrue(e.getMessage().contains("reordered"), e.getMessage());
    }

    @Test
    void anUnknownVersionIsRefusedNamingIt() {
        byte[] stream = encoded(image());
        int header = frames(stream).get(0);
        int payload = header + MigrationStream.FRAME_HEADER;
        int length = ByteBuffer.wrap(stream).getInt(header + 8);
        stream[payload + 1] = 2; // version 2, with a frame CRC that matches it
        CRC32C crc = new CRC32C();
        crc.update(stream, header, MigrationStream.FRAME_HEADER + length);
        ByteBuffer.wrap(stream).putInt(payload + length, (int) crc.getValue());
        StreamFormatException e = refused(stream, "version 2");
        assertTrue(e.getMessage().contains("unknown version 2, this reader knows version 1 only"), e.getMessage());
    }

    @Test
    void bytesAfterTheEndMarkerAreRefused() {
        byte[] stream = encoded(image());
        StreamFormatException e = refused(Arrays.copyOf(stream, stream.length + 1), "one trailing byte");
        assertTrue(e.getMessage().contains("1 bytes after the end marker"), e.getMessage());
    }
}
