package dev.mmiomediator.memory;

import java.math.BigInteger;
import java.util.Locale;

/**
 * The size of a memory region: any value from 0 to 2<sup>64</sup> inclusive.
 *
 * <p>2<sup>64</sup> does not fit in a {@code long}, and QEMU's root regions (the system memory container,
 * the PCI address space) have exactly that size, so a size is stored as "empty" or as its last offset
 * ({@code size - 1}, unsigned). {@link #FULL} is the whole 64-bit space.
 *
 * <p>Immutable and thread-safe.
 */
public final class Size implements Comparable<Size> {
    /** The empty size. */
    public static final Size ZERO = new Size(true, 0);
    /** 2<sup>64</sup> bytes: the whole 64-bit address space. */
    public static final Size FULL = new Size(false, -1L);

    private final boolean empty;
    private final long last;

    private Size(boolean empty, long last) {
        this.empty = empty;
        this.last = last;
    }

    /**
     * A size of {@code bytes} bytes, read as an unsigned 64-bit value (so at most 2<sup>64</sup>-1).
     * Use {@link #FULL} for 2<sup>64</sup>.
     */
    public static Size of(long bytes) {
        return bytes == 0 ? ZERO : new Size(false, bytes - 1);
    }

    /** The size whose last offset is {@code lastOffset} (unsigned), i.e. {@code lastOffset + 1} bytes. */
    public static Size ofLast(long lastOffset) {
        return lastOffset == -1L ? FULL : new Size(false, lastOffset);
    }

    /**
     * Parses a size: decimal or {@code 0x} hex bytes, an optional {@code K/M/G/T} (binary) suffix, or
     * {@code 2^64}.
     *
     * @throws IllegalArgumentException naming the text if it is not such a size or exceeds 2<sup>64</sup>
     */
    public static Size parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("2^64") || t.equals("full")) {
            return FULL;
        }
        int shift = 0;
        if (!t.isEmpty() && !t.startsWith("0x")) {
            switch (t.charAt(t.length() - 1)) {
                case 'k': shift = 10; break;
                case 'm': shift = 20; break;
                case 'g': shift = 30; break;
                case 't': shift = 40; break;
                default: break;
            }
            if (shift != 0) {
                t = t.substring(0, t.length() - 1);
            }
        }
        BigInteger value;
        try {
            value = t.startsWith("0x") ? new BigInteger(t.substring(2), 16) : new BigInteger(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "': expected bytes (decimal or 0x hex, "
                    + "optional K/M/G/T suffix) or 2^64");
        }
        value = value.shiftLeft(shift);
        if (value.signum() < 0 || value.bitLength() > 65 || value.compareTo(BigInteger.ONE.shiftLeft(64)) > 0) {
            throw new IllegalArgumentException("size '" + text + "': must be between 0 and 2^64");
        }
        if (value.signum() == 0) {
            return ZERO;
        }
        return ofLast(value.subtract(BigInteger.ONE).longValue());
    }

    /** Whether this is the empty size. */
    public boolean isZero() {
        return empty;
    }

    /** Whether this is 2<sup>64</sup>. */
    public boolean isFull() {
        return !empty && last == -1L;
    }

    /**
     * The last offset, {@code size - 1}, unsigned.
     *
     * @throws IllegalStateException for {@link #ZERO}, which has no last offset
     */
    public long last() {
        if (empty) {
            throw new IllegalStateException("an empty size has no last offset");
        }
        return last;
    }

    /**
     * The size in bytes as an unsigned {@code long}.
     *
     * @throws ArithmeticException for {@link #FULL}, which no {@code long} holds
     */
    public long bytes() {
        if (isFull()) {
            throw new ArithmeticException("2^64 does not fit in a long");
        }
        return empty ? 0 : last + 1;
    }

    /** The size as an exact number. */
    public BigInteger toBigInteger() {
        return empty ? BigInteger.ZERO : new BigInteger(Long.toUnsignedString(last)).add(BigInteger.ONE);
    }

    /** Whether {@code offset} (unsigned) lies inside {@code [0, size)}. */
    public boolean contains(long offset) {
        return !empty && Long.compareUnsigned(offset, last) <= 0;
    }

    /**
     * QEMU's {@code MR_SIZE}: the value printed as "END - START" in {@code info mtree}, i.e. {@code size - 1},
     * or 0 for an empty region (which QEMU prints as {@code START-START}, like a one-byte region).
     */
    public long mtreeSpan() {
        return empty ? 0 : last;
    }

    @Override
    public int compareTo(Size o) {
        if (empty || o.empty) {
            return Boolean.compare(!empty, !o.empty);
        }
        return Long.compareUnsigned(last, o.last);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Size && ((Size) o).empty == empty && ((Size) o).last == last;
    }

    @Override
    public int hashCode() {
        return empty ? -1 : Long.hashCode(last);
    }

    /** Hex bytes, or {@code 2^64}. */
    @Override
    public String toString() {
        if (isFull()) {
            return "2^64";
        }
        return "0x" + Long.toHexString(bytes());
    }

    /** An unsigned 64-bit value as {@code 0x} hex. */
    public static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** An unsigned 64-bit value as 16 hex digits, the way QEMU prints addresses. */
    public static String hex16(long value) {
        String s = Long.toHexString(value);
        return "0000000000000000".substring(s.length()) + s;
    }
}
