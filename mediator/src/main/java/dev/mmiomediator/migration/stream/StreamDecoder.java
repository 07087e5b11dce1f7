package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static dev.mmiomediator.migration.stream.MigrationStream.ADDRESS_BYTES;
import static dev.mmiomediator.migration.stream.MigrationStream.CRC_BYTES;
import static dev.mmiomediator.migration.stream.MigrationStream.FRAME_HEADER;
import static dev.mmiomediator.migration.stream.MigrationStream.FRAME_OVERHEAD;
import static dev.mmiomediator.migration.stream.MigrationStream.MAGIC;
import static dev.mmiomediator.migration.stream.MigrationStream.VERSION;
import static dev.mmiomediator.migration.stream.MigrationStream.crc;

/**
 * One walk over one stream, frame by frame, checking every frame, field, count and limit and building the image:
 * {@link #magic} first, then each frame's 12 header bytes to {@link #payloadLength} (the limits are checked there,
 * before its payload is read), then the whole frame to {@link #frame}, until the end marker's frame returns the
 * image. The frames may come from one buffer holding the whole stream ({@link MigrationStream#decode}) or one at a
 * time from a socket ({@link MigrationStream#read}); the decoder only reads the buffers it is given, with absolute
 * indexes. Offsets in messages count from the stream's first byte. RAM sections go to a {@link RamSink} as they are
 * read (or are kept, without one); everything else is kept until the end marker.
 *
 * <p><b>Note:</b> not thread-safe; one decoder decodes one stream once.
 */
final class StreamDecoder {
    private final StreamLimits limits;
    private final RamSink ramSink;
    private final HeaderCheck headerCheck;
    private final CRC32C streamCrc = new CRC32C();

    private int number;
    private long deviceCount;
    private long ramCount;
    private long writeCount;
    private long streamLength = -1;
    private long deviceStateBytes;
    private long ramSeen;
    private String vm;
    private boolean writesSeen;
    private final List<DeviceSection> devices = new ArrayList<>();
    private final Map<PciAddress, Integer> deviceSectionNumbers = new HashMap<>();
    private final List<RamSection> ram = new ArrayList<>();
    private final List<QueuedWrite> writes = new ArrayList<>();

    /** The frame being read: its buffer, description, first byte (index and stream offset), cursor, payload end. */
    private ByteBuf buf;
    private String section;
    private int frame;
    private long frameOffset;
    private int p;
    private int payloadEnd;

    /**
     * @param ramSink     receives each RAM section once its frame is checked; null keeps them in the image
     * @param headerCheck asked right after the header section; null accepts every header
     */
    StreamDecoder(StreamLimits limits, RamSink ramSink, HeaderCheck headerCheck) {
        this.limits = limits;
        this.ramSink = ramSink;
        this.headerCheck = headerCheck;
    }

    /** Checks the magic at {@code base}; a prefix of it is truncated, anything else is not a migration stream. */
    static void checkMagic(ByteBuf buf, int base, int end) throws StreamFormatException {
        int n = Math.min(end - base, MAGIC.length);
        for (int i = 0; i < n; i++) {
            if (buf.getByte(base + i) != MAGIC[i]) {
                StringBuilder found = new StringBuilder();
                for (int j = 0; j < n; j++) {
                    found.append(String.format("%02x ", buf.getByte(base + j)));
                }
                throw new StreamFormatException("magic", i, "not a migration stream: it starts with "
                        + found.toString().trim() + ", expected 4d 4d 49 4f 4d 49 47 00 (\"MMIOMIG\\0\")");
            }
        }
        if (n == 0) {
            throw new StreamFormatException("magic", 0, "truncated: empty, the sender closed before sending a "
                    + "stream (a source that cancels before it sends anything does this)");
        }
        if (n < MAGIC.length) {
            throw new StreamFormatException("magic", n, "truncated: " + n + " of the " + MAGIC.length
                    + " magic bytes");
        }
    }

    /** Takes the 8 magic bytes at {@code base} of {@code b} (all there). */
    void magic(ByteBuf b, int base) throws StreamFormatException {
        checkMagic(b, base, base + MAGIC.length);
        streamCrc.update(b.nioBuffer(base, MAGIC.length));
    }

    /**
     * {@code section N (TYPE)} for the frame at {@code start} with the bytes up to {@code end}, from its type byte;
     * for a device-state section with the device's address when its bytes are there. Where not even the type byte
     * is, {@code expected} names it (null: {@code section N}).
     */
    static String describe(ByteBuf buf, int start, int end, int number, SectionType expected) {
        if (start >= end) {
            return "section " + number + (expected == null ? "" : " (" + expected.label + ")");
        }
        int code = buf.getUnsignedByte(start);
        SectionType type = SectionType.of(code);
        if (type == null) {
            return String.format("section %d (type 0x%02x)", number, code);
        }
        if (type == SectionType.DEVICE_STATE && end - start >= FRAME_HEADER + ADDRESS_BYTES) {
            int a = start + FRAME_HEADER;
            try {
                return "section " + number + " (device-state " + new PciAddress(buf.getUnsignedShort(a),
                        buf.getUnsignedByte(a + 2), buf.getUnsignedByte(a + 3), buf.getUnsignedByte(a + 4)) + ")";
            } catch (IllegalArgumentException e) {
                return "section " + number + " (device-state)";
            }
        }
        return "section " + number + " (" + type.label + ")";
    }

    /** The next section's description from the bytes of it there are, {@code [start, end)} of {@code b}. */
    String next(ByteBuf b, int start, int end) {
        return describe(b, start, end, number, expected());
    }

    /**
     * The payload length of the frame whose 12 header bytes are at {@code start} of {@code b}, starting at stream
     * offset {@code offset}, once it is known to fit the limits: the frame limit, the stream limit and the stream
     * length a header announced. Nothing of the payload need be there yet.
     */
    int payloadLength(ByteBuf b, int start, long offset) throws StreamFormatException {
        long length = b.getUnsignedInt(start + 8);
        if (length > limits.maxFrameBytes()) {
            throw new StreamFormatException(describe(b, start, start + FRAME_HEADER, number, expected()), offset + 8,
                    "a payload of " + length + " bytes, more than the limit of " + limits.maxFrameBytes()
                            + " bytes per section (maxFrameBytes)");
        }
        long frameEnd = offset + FRAME_OVERHEAD + length;
        if (frameEnd > limits.maxStreamBytes()) {
            throw new StreamFormatException(describe(b, start, start + FRAME_HEADER, number, expected()), offset + 8,
                    "a payload of " + length + " bytes would take the stream to " + frameEnd + " bytes, past the "
                            + "limit of " + limits.maxStreamBytes() + " bytes (maxStreamBytes)");
        }
        if (streamLength >= 0 && frameEnd > streamLength) {
            throw new StreamFormatException(describe(b, start, start + FRAME_HEADER, number, expected()), offset + 8,
                    "a payload of " + length + " bytes would take the stream to " + frameEnd + " bytes, past the "
                            + streamLength + " bytes its header announces");
        }
        return (int) length;
    }

    /**
     * Checks and takes the whole frame at {@code start} of {@code b} (header, payload and CRC all there), which
     * starts at stream offset {@code offset}, after {@link #payloadLength} accepted its length.
     *
     * @return the image, after the end marker's frame; null before
     * @throws IOException if the RAM sink fails
     */
    MigrationImage frame(ByteBuf b, int start, long offset) throws StreamFormatException, IOException {
        this.buf = b;
        SectionType expected = expected();
        int length = (int) b.getUnsignedInt(start + 8);
        section = describe(b, start, start + FRAME_OVERHEAD + length, number, expected);
        frame = start;
        frameOffset = offset;
        payloadEnd = start + FRAME_HEADER + length;
        int stored = b.getInt(payloadEnd);
        int actual = crc(b, start, FRAME_HEADER + length);
        if (stored != actual) {
            throw fail(start, String.format("CRC32C 0x%08x of its %d bytes, the stream says 0x%08x: corrupt", actual,
                    FRAME_HEADER + length, stored));
        }
        int code = b.getUnsignedByte(start);
        SectionType type = SectionType.of(code);
        if (type == null) {
            throw fail(start, String.format("unknown section type 0x%02x, expected %s (known: %s)", code,
                    expected.label, SectionType.known()));
        }
        if (type != expected) {
            throw fail(start, "found a " + type.label + " section, expected " + expected.label + " (" + progress()
                    + "): sections reordered, repeated or missing");
        }
        int flags = b.getUnsignedByte(start + 1);
        int reserved = b.getUnsignedShort(start + 2);
        if (flags != 0 || reserved != 0) {
            throw fail(start + 1, String.format("frame flags 0x%02x and reserved 0x%04x, expected 0 and 0", flags,
                    reserved));
        }
        long found = b.getUnsignedInt(start + 4);
        if (found != number) {
            throw fail(start + 4, "section number " + found + ", expected " + number
                    + ": sections reordered, repeated or missing");
        }
        p = start + FRAME_HEADER;
        switch (type) {
            case HEADER -> header();
            case DEVICE_STATE -> device();
            case RAM -> ram();
            case QUEUED_WRITES -> writes();
            case END -> {
                return end();
            }
        }
        streamCrc.update(b.nioBuffer(start, FRAME_OVERHEAD + length));
        number++;
        return null;
    }

    /** The type the next section must have, given the header's counts and what has been read. */
    private SectionType expected() {
        if (number == 0) {
            return SectionType.HEADER;
        } else if (devices.size() < deviceCount) {
            return SectionType.DEVICE_STATE;
        } else if (ramSeen < ramCount) {
            return SectionType.RAM;
        }
        return writesSeen ? SectionType.END : SectionType.QUEUED_WRITES;
    }

    private String progress() {
        if (number == 0) {
            return "a stream starts with its header";
        }
        return "the header announces " + deviceCount + " device-state and " + ramCount + " ram sections and "
                + writeCount + " queued writes; " + devices.size() + " device-state and " + ramSeen
                + " ram sections read";
    }

    private void header() throws StreamFormatException {
        int at = p;
        int version = u16("version");
        if (version != VERSION) {
            throw fail(at, "unknown version " + version + ", this reader knows version " + VERSION + " only");
        }
        zero(u16("reserved field"), at + 2, "reserved field");
        streamLength = u64("stream length");
        deviceCount = u32("device-state section count");
        ramCount = u32("ram section count");
        writeCount = u32("queued-write count");
        int vmLength = u8("VM name length");
        vm = utf8(vmLength, "VM name");
        done();
        if (streamLength > limits.maxStreamBytes()) {
            throw fail(at + 4, "the header announces a stream of " + streamLength + " bytes, more than the limit of "
                    + limits.maxStreamBytes() + " bytes (maxStreamBytes)");
        }
        if (writeCount > limits.maxQueuedWrites()) {
            throw fail(at + 20, "the header announces " + writeCount + " queued writes, more than the limit of "
                    + limits.maxQueuedWrites() + " (maxQueuedWrites)");
        }
        if (headerCheck != null) {
            String problem = headerCheck.problem(vm, deviceCount, ramCount, writeCount);
            if (problem != null) {
                throw fail(at, problem);
            }
        }
    }

    private void device() throws StreamFormatException {
        int at = p;
        PciAddress device = address("device address");
        int flagsAt = p;
        long bits = u32("migration flags");
        MigrationFlags flags;
        try {
            flags = MigrationFlags.fromBits((int) bits); // the u32 bits, unknown ones named
        } catch (IllegalArgumentException e) {
            throw fail(flagsAt, e.getMessage());
        }
        Integer first = deviceSectionNumbers.putIfAbsent(device, number);
        if (first != null) {
            throw fail(at, "device " + device + " again: its state is already in section " + first
                    + ", expected one section per device");
        }
        deviceStateBytes += payloadEnd - p;
        if (deviceStateBytes > limits.maxDeviceStateBytes()) {
            throw fail(p, "device states of " + deviceStateBytes + " bytes so far, more than the limit of "
                    + limits.maxDeviceStateBytes() + " bytes (maxDeviceStateBytes)");
        }
        devices.add(new DeviceSection(device, flags, bytes(payloadEnd - p, "state")));
    }

    private void ram() throws StreamFormatException, IOException {
        int at = p;
        String region = utf8(u16("region name length"), "region name");
        long offset = u64("offset");
        byte[] data = bytes(payloadEnd - p, "data");
        RamSection s;
        try {
            s = new RamSection(region, offset, data);
        } catch (IllegalArgumentException e) {
            throw fail(at, e.getMessage());
        }
        ramSeen++;
        if (ramSink == null) {
            ram.add(s);
            return;
        }
        try {
            ramSink.accept(s);
        } catch (IllegalArgumentException e) {
            throw fail(at, e.getMessage());
        }
    }

    private void writes() throws StreamFormatException {
        int at = p;
        long count = u32("queued-write count");
        if (count != writeCount) {
            throw fail(at, "queued-write count " + count + ", the header announces " + writeCount);
        }
        for (long i = 0; i < count; i++) {
            int entry = p;
            entryIndex = i; // field labels are built only when a message needs them
            long sequence = u64("sequence");
            String initiator = utf8(u16("initiator length"), "initiator");
            PciAddress device = address("device");
            int bar = u8("BAR");
            long offset = u64("offset");
            byte[] data = bytes(u32("length"), "data");
            QueuedWrite w;
            try {
                w = new QueuedWrite(sequence, initiator, device, bar, offset, data);
            } catch (IllegalArgumentException e) {
                throw fail(entry, label("") + ": " + e.getMessage());
            }
            if (!deviceSectionNumbers.containsKey(device)) {
                throw fail(entry, "queued write " + w + " targets " + device + ", which has no device-state section"
                        + " (devices: " + MigrationImage.addresses(devices) + ")");
            }
            writes.add(w);
        }
        entryIndex = -1;
        done();
        writesSeen = true;
    }

    private MigrationImage end() throws StreamFormatException {
        int at = p;
        long devicesAgain = u32("device-state section count");
        long ramAgain = u32("ram section count");
        long writesAgain = u32("queued-write count");
        if (devicesAgain != deviceCount || ramAgain != ramCount || writesAgain != writeCount) {
            throw fail(at, "the end marker counts " + devicesAgain + " device-state sections, " + ramAgain
                    + " ram sections and " + writesAgain + " queued writes, the header " + deviceCount + ", "
                    + ramCount + " and " + writeCount);
        }
        int crcAt = p;
        int stored = (int) u32("stream CRC32C");
        done();
        int actual = (int) streamCrc.getValue();
        if (stored != actual) {
            throw fail(crcAt, String.format("CRC32C 0x%08x of the stream's first %d bytes, the end marker says 0x%08x:"
                    + " sections altered, reordered or replaced", actual, frameOffset, stored));
        }
        long streamEnd = frameOffset + (payloadEnd + CRC_BYTES - frame);
        if (streamLength != streamEnd) {
            throw new StreamFormatException("section 0 (header)", MAGIC.length + FRAME_HEADER
                    + MigrationStream.STREAM_LENGTH_FIELD, "the header announces a stream of " + streamLength
                    + " bytes, the end marker ends it after " + streamEnd);
        }
        streamBytes = streamEnd;
        streamChecksum = stored;
        try {
            return new MigrationImage(vm, devices, ram, writes);
        } catch (IllegalArgumentException e) {
            throw new StreamFormatException("image", 0, e.getMessage()); // the sections were checked one by one
        }
    }

    private StreamFormatException fail(int index, String problem) {
        return new StreamFormatException(section, frameOffset + (index - frame), problem);
    }

    private long streamBytes = -1;
    private int streamChecksum;

    /** The stream's length in bytes, once the end marker is read; -1 before. */
    long streamBytes() {
        return streamBytes;
    }

    /** The stream's CRC32C (the end marker's), once the end marker is read. */
    int streamChecksum() {
        return streamChecksum;
    }

    /** The number of the next section (the header is 0). */
    int number() {
        return number;
    }

    /** The header's values, once the header section is read. */
    StreamHeader announced() {
        return new StreamHeader(vm, deviceCount, ramCount, writeCount, streamLength);
    }

    /** The queued write being read, or -1. */
    private long entryIndex = -1;

    /** {@code field}, prefixed with the queued write being read, if any. */
    private String label(String field) {
        return entryIndex < 0 ? field : "queued write " + entryIndex + " " + field;
    }

    /** Takes {@code n} payload bytes for {@code field}; returns the index of the first. */
    private int take(long n, String field) throws StreamFormatException {
        return take(n, field, "");
    }

    private int take(long n, String field, String part) throws StreamFormatException {
        if (n > payloadEnd - p) {
            throw fail(p, label(field) + part + " needs " + n + " bytes, the section's payload ends after "
                    + (payloadEnd - p));
        }
        int at = p;
        p += (int) n;
        return at;
    }

    private int u8(String field) throws StreamFormatException {
        return buf.getUnsignedByte(take(1, field));
    }

    private int u8(String field, String part) throws StreamFormatException {
        return buf.getUnsignedByte(take(1, field, part));
    }

    private int u16(String field) throws StreamFormatException {
        return buf.getUnsignedShort(take(2, field));
    }

    private int u16(String field, String part) throws StreamFormatException {
        return buf.getUnsignedShort(take(2, field, part));
    }

    private long u32(String field) throws StreamFormatException {
        return buf.getUnsignedInt(take(4, field));
    }

    private long u64(String field) throws StreamFormatException {
        return buf.getLong(take(8, field));
    }

    /** {@code n} bytes, allocated only once they are known to be in the payload. */
    private byte[] bytes(long n, String field) throws StreamFormatException {
        int at = take(n, field);
        byte[] out = new byte[(int) n];
        buf.getBytes(at, out);
        return out;
    }

    private String utf8(long n, String field) throws StreamFormatException {
        int at = p;
        try {
            return Utf8.decode(bytes(n, field));
        } catch (CharacterCodingException e) {
            throw fail(at, label(field) + " is not valid UTF-8");
        }
    }

    private PciAddress address(String field) throws StreamFormatException {
        int at = p;
        int domain = u16(field, " domain");
        int bus = u8(field, " bus");
        int device = u8(field, " device");
        int function = u8(field, " function");
        try {
            return new PciAddress(domain, bus, device, function);
        } catch (IllegalArgumentException e) {
            throw fail(at, label(field) + ": " + e.getMessage());
        }
    }

    private void zero(int value, int at, String field) throws StreamFormatException {
        if (value != 0) {
            throw fail(at, field + " 0x" + Integer.toHexString(value) + ", expected 0");
        }
    }

    private void done() throws StreamFormatException {
        if (p != payloadEnd) {
            throw fail(p, (payloadEnd - p) + " bytes after the section's last field, expected none");
        }
    }
}
