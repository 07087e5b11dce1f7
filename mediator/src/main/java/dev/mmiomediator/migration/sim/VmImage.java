package dev.mmiomediator.migration.sim;

import dev.mmiomediator.memory.PassthroughBar;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The memory a migration must carry over intact: guest RAM and the contents of every passthrough BAR. Used as an
 * actual image (read off a {@link SimulatedVm}) and as an expected one (painted from the software devices'
 * records). Mutable arrays, for one thread.
 */
public final class VmImage {
    private final byte[] ram;
    private final Map<PassthroughBar, byte[]> bars;

    VmImage(byte[] ram, Map<PassthroughBar, byte[]> bars) {
        this.ram = Objects.requireNonNull(ram, "ram");
        this.bars = Collections.unmodifiableMap(new LinkedHashMap<>(bars));
    }

    /** The RAM bytes. */
    public byte[] ram() {
        return ram;
    }

    /** The BAR contents, by device and BAR. */
    public Map<PassthroughBar, byte[]> bars() {
        return bars;
    }

    /** A SHA-256 over RAM and every BAR (named, in order), as hex: compares images across processes. */
    public String digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ram);
            for (Map.Entry<PassthroughBar, byte[]> e : bars.entrySet()) {
                sha.update(e.getKey().toString().getBytes(StandardCharsets.UTF_8));
                sha.update(e.getValue());
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Where this image differs from {@code expected}: the first differing place, or empty if equal. */
    public String firstDifference(VmImage expected) {
        int at = Arrays.mismatch(ram, expected.ram);
        if (at >= 0) {
            return "RAM at 0x" + Integer.toHexString(at);
        }
        for (Map.Entry<PassthroughBar, byte[]> e : bars.entrySet()) {
            byte[] other = expected.bars.get(e.getKey());
            int m = other == null ? 0 : Arrays.mismatch(e.getValue(), other);
            if (m >= 0) {
                return e.getKey() + " at 0x" + Integer.toHexString(m);
            }
        }
        return "";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof VmImage other) || !Arrays.equals(ram, other.ram)
                || !bars.keySet().equals(other.bars.keySet())) {
            return false;
        }
        for (Map.Entry<PassthroughBar, byte[]> e : bars.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.bars.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ram) * 31 + bars.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "VM image (" + ram.length + " bytes of RAM, " + bars.size() + " BARs, SHA-256 " + digest() + ")";
    }
}
