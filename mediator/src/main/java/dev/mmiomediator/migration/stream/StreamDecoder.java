package dev.mmiomediator.migration.stream;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.PciAddress;
import io.netty.buffer.ByteBuf;

import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.mmiomediator.migration.stream.MigrationStream.ADDRESS_BYTES;
import static dev.mmiomediator.migration.stream.MigrationStream.CRC_BYTES;
import static dev.mmiomediator.migration.stream.MigrationStream.FRAME_HEADER;
import static dev.mmiomediator.migration.stream.MigrationStream.MAGIC;
import static dev.mmiomediator.migration.stream.MigrationStream.STREAM_LENGTH_FIELD;
import static dev.mmiomediator.migration.stream.MigrationStream.VERSION;
import static dev.mmiomediator.migration.stream.MigrationStream.crc;

/**
 * One walk over a stream held in a buffer, checking every frame, field and count and building the image; it only
 * reads the buffer with absolute indexes, so a refusal leaves the buffer as it was. Offsets in messages count from
 * the stream's first byte.
 *
 * <p><b>Note:</b> not thread-safe; one decoder decodes one stream once.
 */
final class StreamDecoder {
    private final ByteBuf buf;
    private final int base;
    private final int end;

    private int number;
    private long deviceCount;
    private long ramCount;
    private long writeCount;
    private long streamLength;
    private String vm;
    private boolean writesSeen;
    private final List<DeviceSection> devices = new ArrayList<>();
    private final Map<PciAddress, Integer> deviceSectionNumbers = new HashMap<>();
    private final List<RamSection> ram = new ArrayList<>();
    private final List<QueuedWrite> writes = new ArrayList<>();

    /** The section being read: its description, first frame byte, payload cursor and payload end. */
    private String section;
    private int frame;
    private int p;
    private int payloadEnd;

    StreamDecoder(ByteBuf buf, int base, int end) {
        this.buf = buf;
        this.base = base;
        this.end = end;
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

    /**
     * The stream length announced by the complete header frame at {@code start}, or -1 if that frame's CRC does not
     * match or it is not a version {@value MigrationStream#VERSION} header.
     */
    static long announcedLength(ByteBuf buf, int start) {
        long length = buf.getUnsignedInt(start + 8);
        if (length < STREAM_LENGTH_FIELD + 8 || crc(buf, start, FRAME_HEADER + (int) length)
                != buf.getInt(start + FRAME_HEADER + (int) length)
                || buf.getUnsignedShort(start + FRAME_HEADER) != VERSION) {
            return -1;
        }
        return buf.getLong(start + FRAME_HEADER + STREAM_LENGTH_FIELD);
    }

    MigrationImage decode() throws StreamFormatException {
        checkMagic(buf, base, end);
        int pos = base + MAGIC.length;
        for (;; number++) {
            SectionType type = frame(pos);
            switch (type) {
                case HEADER -> header();
                case DEVICE_STATE -> device();
                case RAM -> ram();
                case QUEUED_WRITES -> writes();
                case END -> {
                    return end();
                }
            }
            pos = payloadEnd + CRC_BYTES;
        }
    }

    /** The type the next section must have, given the header's counts and what has been read. */
    private SectionType expected() {
        if (number == 0) {
            return SectionType.HEADER;
        } else if (devices.size() < deviceCount) {
            return SectionType.DEVICE_STATE;
        } else if (ram.size() < ramCount) {
            return SectionType.RAM;
        }
        return writesSeen ? SectionType.END : SectionType.QUEUED_WRITES;
    }

    /** Checks the frame at {@code pos} (bounds, CRC, flags, type order, number) and positions the cursor. */
    private SectionType frame(int pos) throws StreamFormatException {
        SectionType expected = expected();
        section = describe(buf, pos, end, number, expected);
        frame = pos;
        if (pos == end) {
            throw fail(pos, "truncated: the stream ends (after " + (pos - base) + " bytes) where this section, "
                    + expected.label + ", should start");
        }
        if (end - pos < FRAME_HEADER) {
            throw fail(pos, "truncated: " + (end - pos) + " of the " + FRAME_HEADER + " bytes of the frame header");
        }
        long length = buf.getUnsignedInt(pos + 8);
        long follow = end - pos - FRAME_HEADER;
        if (length + CRC_BYTES > follow) {
            throw fail(pos + 8, "truncated: a payload of " + length + " bytes and a 4-byte CRC32C should follow the "
                    + "frame header, " + follow + " bytes do (or the length is corrupt)");
        }
        payloadEnd = pos + FRAME_HEADER + (int) length;
        int stored = buf.getInt(payloadEnd);
        int actual = crc(buf, pos, FRAME_HEADER + (int) length);
        if (stored != actual) {
            throw fail(pos, String.format("CRC32C 0x%08x of its %d bytes, the stream says 0x%08x: corrupt", actual,
                    FRAME_HEADER + length, stored));
        }
        int code = buf.getUnsignedByte(pos);
        SectionType type = SectionType.of(code);
        if (type == null) {
            throw fail(pos, String.format("unknown section type 0x%02x, expected %s (known: %s)", code,
                    expected.label, SectionType.known()));
        }
        if (type != expected) {
            throw fail(pos, "found a " + type.label + " section, expected " + expected.label + " (" + progress()
                    + "): sections reordered, repeated or missing");
        }
        int flags = buf.getUnsignedByte(pos + 1);
        int reserved = buf.getUnsignedShort(pos + 2);
        if (flags != 0 || reserved != 0) {
            throw fail(pos + 1, String.format("frame flags 0x%02x and reserved 0x%04x, expected 0 and 0", flags,
                    reserved));
        }
        long found = buf.getUnsignedInt(pos + 4);
        if (found != number) {
            throw fail(pos + 4, "section number " + found + ", expected " + number
                    + ": sections reordered, repeated or missing");
        }
        p = pos + FRAME_HEADER;
        return type;
    }

    private String progress() {
        if (number == 0) {
            return "a stream starts with its header";
        }
        return "the header announces " + deviceCount + " device-state and " + ramCount + " ram sections and "
                + writeCount + " queued writes; " + devices.size() + " device-state and " + ram.size()
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
        devices.add(new DeviceSection(device, flags, bytes(payloadEnd - p, "state")));
    }

    private void ram() throws StreamFormatException {
        int at = p;
        String region = utf8(u16("region name length"), "region name");
        long offset = u64("offset");
        byte[] data = bytes(payloadEnd - p, "data");
        try {
            ram.add(new RamSection(region, offset, data));
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
        int actual = crc(buf, base, frame - base);
        if (stored != actual) {
            throw fail(crcAt, String.format("CRC32C 0x%08x of the stream's first %d bytes, the end marker says 0x%08x:"
                    + " sections altered, reordered or replaced", actual, frame - base, stored));
        }
        int streamEnd = payloadEnd + CRC_BYTES;
        if (streamEnd != end) {
            throw new StreamFormatException("trailing bytes", streamEnd - base, (end - streamEnd)
                    + " bytes after the end marker, expected none");
        }
        if (streamLength != streamEnd - base) {
            throw new StreamFormatException("section 0 (header)", MAGIC.length + FRAME_HEADER + STREAM_LENGTH_FIELD,
                    "the header announces a stream of " + streamLength + " bytes, the end marker ends it after "
                            + (streamEnd - base));
        }
        try {
            return new MigrationImage(vm, devices, ram, writes);
        } catch (IllegalArgumentException e) {
            throw new StreamFormatException("image", 0, e.getMessage()); // the sections were checked one by one
        }
    }

    private StreamFormatException fail(int index, String problem) {
        return new StreamFormatException(section, index - base, problem);
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
