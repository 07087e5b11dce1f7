package dev.mmiomediator.memory;

/**
 * Callbacks of an MMIO (or ROM device) region, like QEMU's {@code MemoryRegionOps}.
 *
 * <p>The dispatcher only calls {@link #read} and {@link #write} with sizes in
 * {@code [minAccessSize(), maxAccessSize()]} that are powers of two; larger or misaligned guest accesses
 * are split into pieces of valid size first. Values are little-endian, in the low bytes of the {@code long}.
 *
 * <p>Implementations are called from whichever thread performs the access; they must be thread-safe if
 * the emulator accesses the region from several threads.
 */
public interface MemoryRegionOps {

    /** Ops for a region that ignores writes and reads as zero, e.g. an imported MMIO region. */
    MemoryRegionOps UNASSIGNED = new MemoryRegionOps() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, long value, int size) {
        }
    };

    /**
     * Reads {@code size} bytes at {@code offset} from the region's start.
     *
     * @return the value in the low {@code size} bytes
     */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset} from the region's start. */
    void write(long offset, long value, int size);

    /** The smallest access the device accepts, in bytes (a power of two from 1 to 8). Default 1. */
    default int minAccessSize() {
        return 1;
    }

    /** The largest access the device accepts, in bytes (a power of two from 1 to 8). Default 8. */
    default int maxAccessSize() {
        return 8;
    }
}
