package dev.mmiomediator.memory;

/**
 * What a {@link MemoryRegion} is, in QEMU's terms. The kind decides whether the region claims addresses
 * when rendered ({@link #terminates()}) and how {@code info mtree} names its type.
 */
public enum RegionKind {
    /** Guest RAM ({@code memory_region_init_ram}); prints as {@code ram}, or {@code rom} when read-only. */
    RAM(true),
    /** Read-only RAM ({@code memory_region_init_rom}); prints as {@code rom}. */
    ROM(true),
    /** RAM-like device memory, e.g. a VFIO BAR mmap ({@code memory_region_init_ram_device_ptr}); {@code ramd}. */
    RAM_DEVICE(true),
    /** Reads like RAM, writes like MMIO ({@code memory_region_init_rom_device}); {@code romd} in ROMD mode. */
    ROM_DEVICE(true),
    /** Device registers with callbacks ({@code memory_region_init_io} with ops); prints as {@code i/o}. */
    MMIO(true),
    /** Holds subregions only and claims nothing itself ({@code memory_region_init}); prints as {@code i/o}. */
    CONTAINER(false),
    /** A window onto another region ({@code memory_region_init_alias}); prints its target's type. */
    ALIAS(false);

    private final boolean terminates;

    RegionKind(boolean terminates) {
        this.terminates = terminates;
    }

    /**
     * Whether a region of this kind claims the addresses of its range that its own subregions leave free
     * (QEMU's {@code mr->terminates}). Containers and aliases do not: their holes fall through.
     */
    public boolean terminates() {
        return terminates;
    }
}
