package dev.mmiomediator.migration.sim;

import dev.mmiomediator.memory.PassthroughBar;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The memory a migration must carry over intact: every guest RAM region and the contents of every passthrough
 * BAR, kept sparse as {@value #PAGE}-byte pages by place and offset; a page absent is all zero, and an all-zero page
 * counts as absent, so a 64 GiB guest's image costs the pages written. Used as an actual image (read off a
 * {@link SimulatedVm}) and as an expected one (painted from the software devices' records). Mutable, for one thread.
 */
public final class VmImage {
    /** The page size the image is kept in. */
    public static final int PAGE = 4096;

    /** Per place ({@link #ramPlace} or {@link #barPlace}), its pages by offset. */
    private final NavigableMap<String, NavigableMap<Long, byte[]>> places = new TreeMap<>();

    VmImage() {
    }

    /** The place of RAM region {@code region} in an image. */
    static String ramPlace(String region) {
        return "RAM " + region;
    }

    /** The place of a BAR in an image. */
    static String barPlace(PassthroughBar bar) {
        return bar.toString();
    }

    /** Puts {@code pages} (offset to {@value #PAGE} bytes, copied) at {@code place}. */
    void putPages(String place, Map<Long, byte[]> pages) {
        NavigableMap<Long, byte[]> at = places.computeIfAbsent(place, p -> new TreeMap<>());
        pages.forEach((offset, page) -> {
            if (offset % PAGE != 0 || page.length != PAGE) {
                throw new IllegalArgumentException(place + " page at 0x" + Long.toHexString(offset) + " of "
                        + page.length + " bytes: expected " + PAGE + " bytes at a " + PAGE + "-aligned offset");
            }
            at.put(offset, page.clone());
        });
    }

    /** Writes the 8 bytes of {@code value}, little-endian, at {@code offset} of {@code place} (8-aligned). */
    void putLong(String place, long offset, long value) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException(place + "+0x" + Long.toHexString(offset) + ": expected 8-aligned");
        }
        NavigableMap<Long, byte[]> at = places.computeIfAbsent(place, p -> new TreeMap<>());
        byte[] page = at.get(offset - offset % PAGE);
        if (page == null) {
            if (value == 0) {
                return;
            }
            page = new byte[PAGE];
            at.put(offset - offset % PAGE, page);
        }
        int in = (int) (offset % PAGE);
        for (int i = 0; i < 8; i++) {
            page[in + i] = (byte) (value >>> (8 * i));
        }
    }

    /** The non-zero pages of every place, places and offsets ascending (places without one left out). */
    private NavigableMap<String, NavigableMap<Long, byte[]>> nonZero() {
        NavigableMap<String, NavigableMap<Long, byte[]>> out = new TreeMap<>();
        places.forEach((place, pages) -> pages.forEach((offset, page) -> {
            for (byte b : page) {
                if (b != 0) {
                    out.computeIfAbsent(place, p -> new TreeMap<>()).put(offset, page);
                    return;
                }
            }
        }));
        return out;
    }

    /** The number of non-zero pages. */
    public long pages() {
        return nonZero().values().stream().mapToLong(Map::size).sum();
    }

    /** A SHA-256 over the non-zero pages (each with its place and offset, in order), as hex: compares images across processes. */
    public String digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            nonZero().forEach((place, pages) -> pages.forEach((offset, page) -> {
                sha.update((place + "+" + Long.toHexString(offset) + ":").getBytes(StandardCharsets.UTF_8));
                sha.update(page);
            }));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Where this image differs from {@code expected}: the first differing place and offset, or empty if equal. */
    public String firstDifference(VmImage expected) {
        NavigableMap<String, NavigableMap<Long, byte[]>> mine = nonZero();
        NavigableMap<String, NavigableMap<Long, byte[]>> theirs = expected.nonZero();
        for (String place : union(mine.navigableKeySet(), theirs.navigableKeySet())) {
            NavigableMap<Long, byte[]> a = mine.getOrDefault(place, new TreeMap<>());
            NavigableMap<Long, byte[]> b = theirs.getOrDefault(place, new TreeMap<>());
            for (Long offset : union(a.navigableKeySet(), b.navigableKeySet())) {
                int m = Arrays.mismatch(a.getOrDefault(offset, new byte[PAGE]), b.getOrDefault(offset, new byte[PAGE]));
                if (m >= 0) {
                    return place + " at 0x" + Long.toHexString(offset + m);
                }
            }
        }
        return "";
    }

    private static <T extends Comparable<T>> java.util.SortedSet<T> union(java.util.Set<T> a, java.util.Set<T> b) {
        java.util.SortedSet<T> out = new java.util.TreeSet<>(a);
        out.addAll(b);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VmImage other && firstDifference(other).isEmpty();
    }

    @Override
    public int hashCode() {
        return digest().hashCode();
    }

    @Override
    public String toString() {
        return "VM image (" + pages() + " non-zero pages of " + PAGE + " bytes in " + nonZero().size()
                + " places, SHA-256 " + digest() + ")";
    }
}
