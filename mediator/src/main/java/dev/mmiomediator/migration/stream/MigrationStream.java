package dev.mmiomediator.migration.stream;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Writes and reads the migration stream: one {@link MigrationImage} as magic, a header, device-state, RAM and
 * queued-writes sections and an end marker, each section framed and checked with CRC32C. The byte layout is in
 * the {@linkplain dev.mmiomediator.migration.stream package documentation}.
 *
 * <p>Reading validates the whole stream before it returns anything, so a caller that applies only what
 * {@link #decode} or {@link #read} returned applies either all of a valid stream or nothing.
 *
 * <p>Thread-safe: stateless.
 */
public final class MigrationStream {
    /** The version this class writes, and the only one it reads. */
    public static final int VERSION = 1;

    static final byte[] MAGIC = "MMIOMIG\0".getBytes(StandardCharsets.US_ASCII);
    /** Type u8, flags u8, reserved u16, section number u32, payload length u32. */
    static final int FRAME_HEADER = 12;
    static final int CRC_BYTES = 4;
    static final int FRAME_OVERHEAD = FRAME_HEADER + CRC_BYTES;
    /** Version u16, reserved u16, stream length u64, three counts u32, VM name length u8. */
    static final int HEADER_FIXED = 25;
    /** Domain u16, bus u8, device u8, function u8. */
    static final int ADDRESS_BYTES = 5;
    /** Address, migration flags u32. */
    static final int DEVICE_FIXED = ADDRESS_BYTES + 4;
    /** Region name length u16, offset u64. */
    static final int RAM_FIXED = 10;
    /** Count u32. */
    static final int WRITES_FIXED = 4;
    /** Sequence u64, initiator length u16, address, BAR u8, offset u64, length u32. */
    static final int WRITE_FIXED = 8 + 2 + ADDRESS_BYTES + 1 + 8 + 4;
    /** Three counts u32, stream CRC32C u32. */
    static final int END_PAYLOAD = 16;
    /** The header's stream length field, from the start of the header's payload. */
    static final int STREAM_LENGTH_FIELD = 4;
    /** How much {@link #read} asks its input for at a time, so that memory follows the bytes that really came. */
    private static final int READ_CHUNK = 64 * 1024;

    private MigrationStream() {
    }

    /**
     * The exact number of bytes {@link #encode} writes for {@code image}.
     */
    public static long encodedLength(MigrationImage image) {
        long n = MAGIC.length + FRAME_OVERHEAD + HEADER_FIXED + utf8(image.vm()).length;
        for (DeviceSection d : image.devices()) {
            n += FRAME_OVERHEAD + DEVICE_FIXED + d.state().length;
        }
        for (RamSection r : image.ram()) {
            n += FRAME_OVERHEAD + RAM_FIXED + utf8(r.region()).length + r.data().length;
        }
        n += FRAME_OVERHEAD + WRITES_FIXED;
        for (QueuedWrite w : image.queuedWrites()) {
            n += WRITE_FIXED + utf8(w.initiator()).length + w.length();
        }
        return n + FRAME_OVERHEAD + END_PAYLOAD;
    }

    /**
     * The whole stream for {@code image}, in a new buffer from {@code alloc} (the caller releases it), from its
     * index 0 to its writer index.
     *
     * @throws IllegalArgumentException if the stream would be longer than a buffer can hold (2^31 - 1 bytes);
     *                                  split the RAM into more images
     */
    public static ByteBuf encode(MigrationImage image, ByteBufAllocator alloc) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(alloc, "alloc");
        long length = encodedLength(image);
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("migration image of VM '" + image.vm() + "' needs a stream of "
                    + length + " bytes, expected at most " + Integer.MAX_VALUE);
        }
        ByteBuf out = alloc.buffer((int) length, (int) length);
        try {
            writeStream(image, out, length);
            return out;
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    private static void writeStream(MigrationImage image, ByteBuf out, long length) {
        int streamStart = out.writerIndex();
        out.writeBytes(MAGIC);
        int number = 0;
        int frame = beginFrame(out, SectionType.HEADER, number++);
        byte[] vm = utf8(image.vm());
        out.writeShort(VERSION);
        out.writeShort(0);
        out.writeLong(length);
        writeCounts(out, image);
        out.writeByte(vm.length);
        out.writeBytes(vm);
        endFrame(out, frame);
        for (DeviceSection d : image.devices()) {
            frame = beginFrame(out, SectionType.DEVICE_STATE, number++);
            writeAddress(out, d.device());
            out.writeInt(d.flags().bits());
            out.writeBytes(d.state());
            endFrame(out, frame);
        }
        for (RamSection r : image.ram()) {
            frame = beginFrame(out, SectionType.RAM, number++);
            byte[] region = utf8(r.region());
            out.writeShort(region.length);
            out.writeBytes(region);
            out.writeLong(r.offset());
            out.writeBytes(r.data());
            endFrame(out, frame);
        }
        frame = beginFrame(out, SectionType.QUEUED_WRITES, number++);
        out.writeInt(image.queuedWrites().size());
        for (QueuedWrite w : image.queuedWrites()) {
            byte[] initiator = utf8(w.initiator());
            out.writeLong(w.sequence());
            out.writeShort(initiator.length);
            out.writeBytes(initiator);
            writeAddress(out, w.device());
            out.writeByte(w.bar());
            out.writeLong(w.offset());
            out.writeInt(w.length());
            out.writeBytes(w.data());
        }
        endFrame(out, frame);
        int streamCrc = crc(out, streamStart, out.writerIndex() - streamStart);
        frame = beginFrame(out, SectionType.END, number);
        writeCounts(out, image);
        out.writeInt(streamCrc);
        endFrame(out, frame);
    }

    private static void writeCounts(ByteBuf out, MigrationImage image) {
        out.writeInt(image.devices().size());
        out.writeInt(image.ram().size());
        out.writeInt(image.queuedWrites().size());
    }

    private static void writeAddress(ByteBuf out, PciAddress a) {
        out.writeShort(a.domain());
        out.writeByte(a.bus());
        out.writeByte(a.device());
        out.writeByte(a.function());
    }

    /** Writes a frame header with a length to be filled in by {@link #endFrame}; returns where it starts. */
    private static int beginFrame(ByteBuf out, SectionType type, int number) {
        int start = out.writerIndex();
        out.writeByte(type.code);
        out.writeByte(0);
        out.writeShort(0);
        out.writeInt(number);
        out.writeInt(0);
        return start;
    }

    private static void endFrame(ByteBuf out, int start) {
        out.setInt(start + 8, out.writerIndex() - start - FRAME_HEADER);
        out.writeInt(crc(out, start, out.writerIndex() - start));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8); // well-formed: the records checked it
    }

    /** The CRC32C of {@code length} bytes of {@code buf} from {@code index}. */
    static int crc(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buf.nioBuffer(index, length));
        return (int) crc.getValue();
    }

    /**
     * Validates the whole stream in {@code in}, from its reader index to its writer index, and returns the image.
     * On success the reader index moves to the writer index (just past the end marker); on any problem this throws
     * and leaves {@code in} untouched. Bytes after the end marker are an error.
     *
     * @throws StreamFormatException naming the section, the byte offset and what is wrong if the stream is
     *                               truncated, corrupt, reordered, of an unknown version, or otherwise not valid
     */
    public static MigrationImage decode(ByteBuf in) throws StreamFormatException {
        MigrationImage image = new StreamDecoder(in, in.readerIndex(), in.writerIndex()).decode();
        in.readerIndex(in.writerIndex());
        return image;
    }

    /**
     * Reads exactly one stream from {@code in} (a socket's stream, say), up to and including its end marker,
     * buffering it, then {@linkplain #decode decodes} it. Never reads past the end marker, nor past the stream
     * length the header announces.
     *
     * <p>Memory grows with the bytes that really arrive; a section whose declared length would take the stream past
     * {@code maxBytes} (or a header announcing a longer stream) is refused as soon as its length is read. A stream
     * that does not start with the magic is refused after its first eight bytes.
     *
     * @param maxBytes the longest stream to accept, at least 1
     * @throws StreamFormatException if the input ends before the end marker (the message says {@code truncated}),
     *                               the stream exceeds {@code maxBytes}, or it is not valid
     * @throws IOException           if reading {@code in} fails
     */
    public static MigrationImage read(InputStream in, long maxBytes) throws IOException, StreamFormatException {
        Objects.requireNonNull(in, "in");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + ", expected at least 1");
        }
        long limit = Math.min(maxBytes, Integer.MAX_VALUE);
        ByteBuf buf = Unpooled.buffer(READ_CHUNK);
        try {
            if (!fill(in, buf, Math.min(MAGIC.length, limit))) {
                return decodeTruncated(buf);
            }
            StreamDecoder.checkMagic(buf, 0, buf.writerIndex());
            for (int number = 0; buf.writerIndex() < limit; number++) {
                int start = buf.writerIndex();
                if (!fill(in, buf, Math.min(FRAME_HEADER, limit - start))) {
                    return decodeTruncated(buf);
                }
                if (buf.writerIndex() - start < FRAME_HEADER) {
                    break; // the limit cuts the frame header: decode says so
                }
                long frameEnd = start + FRAME_OVERHEAD + buf.getUnsignedInt(start + 8);
                if (frameEnd > limit) {
                    boolean byHeader = limit < Math.min(maxBytes, Integer.MAX_VALUE);
                    throw new StreamFormatException(StreamDecoder.describe(buf, start, buf.writerIndex(), number,
                            null), start, "a payload of " + buf.getUnsignedInt(start + 8) + " bytes would take the "
                            + "stream to " + frameEnd + " bytes, past " + (byHeader
                            ? "the " + limit + " bytes its header announces"
                            : "the limit of " + limit + " bytes (maxBytes " + maxBytes + ")"));
                }
                if (!fill(in, buf, frameEnd - buf.writerIndex())) {
                    return decodeTruncated(buf);
                }
                int type = buf.getUnsignedByte(start);
                if (type == SectionType.END.code) {
                    break;
                }
                if (number == 0 && type == SectionType.HEADER.code) {
                    long announced = StreamDecoder.announcedLength(buf, start);
                    if (announced < 0) {
                        break; // not a valid header: decode says why
                    }
                    if (announced > maxBytes) {
                        throw new StreamFormatException(StreamDecoder.describe(buf, start, buf.writerIndex(), 0,
                                null), start + FRAME_HEADER + STREAM_LENGTH_FIELD, "the header announces a stream of "
                                + announced + " bytes, more than the limit of " + maxBytes + " bytes (maxBytes)");
                    }
                    limit = Math.min(limit, announced);
                }
            }
            return decode(buf);
        } finally {
            buf.release();
        }
    }

    /** Reads {@code n} bytes into {@code buf}; false if the input ends first. */
    private static boolean fill(InputStream in, ByteBuf buf, long n) throws IOException {
        while (n > 0) {
            int got = buf.writeBytes(in, (int) Math.min(n, READ_CHUNK));
            if (got < 0) {
                return false;
            }
            n -= got;
        }
        return true;
    }

    /** The input ended before the end marker: decoding what came says where (it cannot succeed). */
    private static MigrationImage decodeTruncated(ByteBuf buf) throws StreamFormatException {
        decode(buf);
        throw new StreamFormatException("end", buf.writerIndex(), "truncated: the input ended before the end marker");
    }

    /** Writes {@link #encode encode(image)} to {@code out}. */
    public static void write(MigrationImage image, OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        ByteBuf buf = encode(image, ByteBufAllocator.DEFAULT);
        try {
            buf.readBytes(out, buf.readableBytes());
        } finally {
            buf.release();
        }
    }
}
