package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.pci.PciAddress;
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
        ByteBuf frame = Unpooled.buffer(READ_CHUNK);
        try {
            writeStream(image, frame, f -> {
                out.writeBytes(f);
                f.clear();
            });
            return out;
        } catch (IOException e) {
            out.release();
            throw new IllegalStateException("a buffer does no I/O", e);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        } finally {
            frame.release();
        }
    }

    /** Where {@link #writeStream} puts each finished frame; it must consume the frame's bytes and clear it. */
    @FunctionalInterface
    private interface FrameSink {
        void take(ByteBuf frame) throws IOException;
    }

    /**
     * Builds the stream frame by frame in {@code out} (the magic with the header frame), handing each to
     * {@code sink}, and keeps the whole-stream CRC32C as it goes.
     */
    private static StreamDigest writeStream(MigrationImage image, ByteBuf out, FrameSink sink) throws IOException {
        long length = encodedLength(image);
        CRC32C stream = new CRC32C();
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
        emit(out, stream, sink);
        for (DeviceSection d : image.devices()) {
            frame = beginFrame(out, SectionType.DEVICE_STATE, number++);
            writeAddress(out, d.device());
            out.writeInt(d.flags().bits());
            out.writeBytes(d.state());
            endFrame(out, frame);
            emit(out, stream, sink);
        }
        for (RamSection r : image.ram()) {
            frame = beginFrame(out, SectionType.RAM, number++);
            byte[] region = utf8(r.region());
            out.writeShort(region.length);
            out.writeBytes(region);
            out.writeLong(r.offset());
            out.writeBytes(r.data());
            endFrame(out, frame);
            emit(out, stream, sink);
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
        emit(out, stream, sink);
        int streamCrc = (int) stream.getValue();
        frame = beginFrame(out, SectionType.END, number);
        writeCounts(out, image);
        out.writeInt(streamCrc);
        endFrame(out, frame);
        sink.take(out);
        return new StreamDigest(length, streamCrc);
    }

    private static void emit(ByteBuf frame, CRC32C stream, FrameSink sink) throws IOException {
        stream.update(frame.nioBuffer(frame.readerIndex(), frame.readableBytes()));
        sink.take(frame);
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
        int base = in.readerIndex();
        int end = in.writerIndex();
        StreamDecoder d = new StreamDecoder(StreamLimits.NONE, null, null);
        StreamDecoder.checkMagic(in, base, end);
        d.magic(in, base);
        int pos = base + MAGIC.length;
        for (;;) {
            String section = d.next(in, pos, end);
            if (pos == end) {
                throw new StreamFormatException(section, pos - base, "truncated: the stream ends (after "
                        + (pos - base) + " bytes) where this section should start");
            }
            if (end - pos < FRAME_HEADER) {
                throw new StreamFormatException(section, pos - base, "truncated: " + (end - pos) + " of the "
                        + FRAME_HEADER + " bytes of the frame header");
            }
            int length = d.payloadLength(in, pos, pos - base);
            long follow = end - pos - FRAME_HEADER;
            if (length + CRC_BYTES > follow) {
                throw new StreamFormatException(section, pos - base + 8, "truncated: a payload of " + length
                        + " bytes and a 4-byte CRC32C should follow the frame header, " + follow
                        + " bytes do (or the length is corrupt)");
            }
            MigrationImage image;
            try {
                image = d.frame(in, pos, pos - base);
            } catch (IOException e) {
                throw new IllegalStateException("no RAM sink, no I/O", e);
            }
            pos += FRAME_OVERHEAD + length;
            if (image != null) {
                if (pos != end) {
                    throw new StreamFormatException("trailing bytes", pos - base, (end - pos)
                            + " bytes after the end marker, expected none");
                }
                in.readerIndex(end);
                return image;
            }
        }
    }

    /**
     * Reads exactly one stream from {@code in} (a socket's stream, say), up to and including its end marker, and
     * returns the image, RAM included; never reads past the end marker. Memory follows the bytes that really come,
     * within {@link StreamLimits#DEFAULT} and a stream of at most {@code maxBytes}; a destination that must not
     * hold the RAM uses a {@link StreamReader} with a {@link RamSink}.
     *
     * @param maxBytes the longest stream to accept, at least 1
     * @throws StreamFormatException if the input ends before the end marker (the message says {@code truncated}),
     *                               the stream exceeds a limit, or it is not valid
     * @throws IOException           if reading {@code in} fails
     */
    public static MigrationImage read(InputStream in, long maxBytes) throws IOException, StreamFormatException {
        StreamReader reader = new StreamReader(in, StreamLimits.DEFAULT.withMaxStreamBytes(maxBytes), null, null);
        reader.header();
        return reader.rest().image();
    }

    /**
     * Writes the stream for {@code image} to {@code out}, one frame at a time (it never holds more than one frame,
     * so a large guest's RAM streams through), and flushes it.
     *
     * @return the stream's length and checksum, which the destination's {@code OK} must name
     * @throws IOException if writing fails
     */
    public static StreamDigest write(MigrationImage image, OutputStream out) throws IOException {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(out, "out");
        ByteBuf frame = Unpooled.buffer(READ_CHUNK);
        try {
            StreamDigest digest = writeStream(image, frame, f -> {
                f.readBytes(out, f.readableBytes());
                f.clear();
            });
            out.flush();
            return digest;
        } finally {
            frame.release();
        }
    }
}
