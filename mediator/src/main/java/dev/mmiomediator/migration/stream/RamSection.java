package dev.mmiomediator.migration.stream;

import dev.mmiomediator.memory.Size;

import java.util.Arrays;
import java.util.Objects;

/**
 * Guest RAM bytes to restore: a named RAM region and an offset in it (the simulated VM's RAM travels this way).
 * Immutable: the bytes are copied in, and {@link #data()} returns the held array, which callers must not modify.
 * Equality compares the bytes.
 *
 * @param region the RAM region's name, e.g. {@code pc.ram}: 1 to {@value #MAX_REGION_NAME_BYTES} bytes of
 *               well-formed UTF-8
 * @param offset where in the region the bytes go, at least 0, and the last byte below 2^63
 * @param data   the bytes, at least one
 */
public record RamSection(String region, long offset, byte[] data) {
    /** The longest region name, in UTF-8 bytes (the stream holds its length in 16 bits). */
    public static final int MAX_REGION_NAME_BYTES = 0xffff;

    /**
     * Checks the values and copies {@code data}.
     *
     * @throws IllegalArgumentException naming the value if the name, offset or length is out of range
     */
    public RamSection {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(data, "data");
        if (region.isEmpty()) {
            throw new IllegalArgumentException("RAM section with an empty region name, expected a region's name");
        }
        Utf8.encode(region, "RAM region name", MAX_REGION_NAME_BYTES);
        if (offset < 0) {
            throw new IllegalArgumentException("RAM section of " + region + " at offset " + Size.hex(offset)
                    + ", expected a non-negative offset");
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("RAM section of " + region + " at offset " + Size.hex(offset)
                    + " with no bytes, expected at least one");
        }
        if (offset > Long.MAX_VALUE - data.length + 1) {
            throw new IllegalArgumentException("RAM section of " + region + " at offset " + Size.hex(offset) + "+"
                    + data.length + ": crosses 2^63");
        }
        data = data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RamSection r && r.region.equals(region) && r.offset == offset
                && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(region, offset) * 31 + Arrays.hashCode(data);
    }

    /** {@code pc.ram+0x1000/4096}. */
    @Override
    public String toString() {
        return region + "+" + Size.hex(offset) + "/" + data.length;
    }
}
