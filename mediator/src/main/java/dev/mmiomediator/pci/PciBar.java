package dev.mmiomediator.pci;

/**
 * A memory BAR of a passthrough PCI function: its index and size.
 *
 * <p>Kept minimal for now: which memory region backs the BAR in the guest's address space is bound elsewhere.
 * A 64-bit BAR is described by its first index.
 *
 * <p>Immutable and thread-safe.
 *
 * @param index the BAR number, 0 to 5
 * @param size  the size in bytes, a power of two
 */
public record PciBar(int index, long size) {
    /** The number of BARs of a type 0 (endpoint) configuration header. */
    public static final int COUNT = 6;

    /**
     * Checks the index and size.
     *
     * @throws IllegalArgumentException naming the value and the rule
     */
    public PciBar {
        if (index < 0 || index >= COUNT) {
            throw new IllegalArgumentException("BAR index " + index + ": must be between 0 and " + (COUNT - 1));
        }
        if (size <= 0 || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("BAR " + index + " size 0x" + Long.toHexString(size)
                    + ": must be a power of two (a BAR decodes a naturally aligned power-of-two window)");
        }
    }

    /** {@code BAR n (0xSIZE bytes)}. */
    @Override
    public String toString() {
        return "BAR " + index + " (0x" + Long.toHexString(size) + " bytes)";
    }
}
