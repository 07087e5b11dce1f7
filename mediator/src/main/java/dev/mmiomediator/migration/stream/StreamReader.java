package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import static dev.mmiomediator.migration.stream.MigrationStream.CRC_BYTES;
import static dev.mmiomediator.migration.stream.MigrationStream.FRAME_HEADER;
import static dev.mmiomediator.migration.stream.MigrationStream.MAGIC;

/**
 * Reads one migration stream from an {@link InputStream} (a socket's, say) frame by frame, in bounded memory: it
 * holds one frame at a time, and never more than its {@link StreamLimits} allow, whatever the sender announces or
 * sends. Every check of {@link MigrationStream#decode} is made, in stream order; a frame's length is checked
 * against the limits right after its 12 header bytes, before any of its payload is read or any memory is taken for
 * it. RAM sections go to a {@link RamSink} as they arrive; everything else is returned once the end marker and the
 * whole-stream checksum are verified. It never reads past the end marker.
 *
 * <p>Use: {@link #header} (which a destination uses to decide at once whether the stream is for it), then
 * {@link #rest}. Either throws {@link StreamFormatException} on the first problem; the reader is then spent.
 *
 * <p><b>Note:</b> not thread-safe; one reader reads one stream once.
 */
public final class StreamReader {
    /** How much is asked of the input at a time, so that memory follows the bytes that really came. */
    private static final int CHUNK = 64 * 1024;

    private final InputStream in;
    private final StreamDecoder decoder;
    private final ByteBuf buf = Unpooled.buffer(CHUNK);
    private long offset;
    private boolean headerRead;
    private boolean spent;

    /**
     * @param ramSink     receives the RAM sections; null keeps them in the returned image
     * @param headerCheck asked right after the header section; null accepts every header
     */
    public StreamReader(InputStream in, StreamLimits limits, RamSink ramSink, HeaderCheck headerCheck) {
        this.in = Objects.requireNonNull(in, "in");
        this.decoder = new StreamDecoder(Objects.requireNonNull(limits, "limits"), ramSink, headerCheck);
    }

    /**
     * Reads the magic and the header section.
     *
     * @throws StreamFormatException if they are not valid, or the header check refuses them
     * @throws IOException           if reading fails
     */
    public StreamHeader header() throws IOException, StreamFormatException {
        if (headerRead || spent) {
            throw new IllegalStateException("the header of this stream was read already");
        }
        spent = true;
        buf.clear();
        if (!fill(MAGIC.length)) {
            StreamDecoder.checkMagic(buf, 0, buf.writerIndex()); // says how it is truncated or not a stream
        }
        decoder.magic(buf, 0);
        offset = MAGIC.length;
        if (nextFrame() != null) {
            throw new IllegalStateException("a header frame cannot end a stream");
        }
        headerRead = true;
        spent = false;
        return decoder.announced();
    }

    /**
     * Reads the rest of the stream, after {@link #header}, up to and including the end marker.
     *
     * @throws StreamFormatException if anything is not valid (the message says {@code truncated} if the input ended
     *                               first)
     * @throws IOException           if reading fails, or the RAM sink does
     */
    public ReceivedStream rest() throws IOException, StreamFormatException {
        if (!headerRead || spent) {
            throw new IllegalStateException("read the header first, and the rest once");
        }
        spent = true;
        for (;;) {
            MigrationImage image = nextFrame();
            if (image != null) {
                return new ReceivedStream(image, new StreamDigest(decoder.streamBytes(), decoder.streamChecksum()));
            }
        }
    }

    /** Reads and takes one frame; the image after the end marker's. */
    private MigrationImage nextFrame() throws IOException, StreamFormatException {
        buf.clear();
        if (!fill(FRAME_HEADER)) {
            throw truncated(buf.writerIndex() == 0
                    ? "the input ends (after " + offset + " bytes) where this section should start"
                    : buf.writerIndex() + " of the " + FRAME_HEADER + " bytes of the frame header");
        }
        int length = decoder.payloadLength(buf, 0, offset);
        if (!fill((long) length + CRC_BYTES)) {
            throw truncated("a payload of " + length + " bytes and a 4-byte CRC32C should follow the frame header, "
                    + (buf.writerIndex() - FRAME_HEADER) + " bytes did before the input ended");
        }
        MigrationImage image = decoder.frame(buf, 0, offset);
        offset += buf.writerIndex();
        if (buf.capacity() > CHUNK) {
            buf.clear().capacity(CHUNK); // a large frame's memory goes back with it
        }
        return image;
    }

    private StreamFormatException truncated(String what) {
        return new StreamFormatException(decoder.next(buf, 0, buf.writerIndex()), offset + buf.writerIndex(),
                "truncated: " + what);
    }

    /** Appends {@code n} bytes of the input to {@code buf}; false if the input ends first. */
    private boolean fill(long n) throws IOException {
        while (n > 0) {
            int got = buf.writeBytes(in, (int) Math.min(n, CHUNK));
            if (got < 0) {
                return false;
            }
            n -= got;
        }
        return true;
    }
}
