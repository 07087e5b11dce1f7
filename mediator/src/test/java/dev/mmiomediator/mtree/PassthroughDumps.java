package dev.mmiomediator.mtree;

import java.io.IOException;
import java.io.StringReader;

/** Hand-written {@code info mtree} dumps with VFIO BARs, shaped like QEMU's q35 output. */
final class PassthroughDumps {
    private PassthroughDumps() {
    }

    /**
     * A q35-like machine with one passthrough function: {@code 0000:01:00.0 BAR 0} (16 MiB at 0xc0000000, MMIO by
     * the catalogue) holds its {@code mmaps[0]} ram device (0-0xfeffff) and a {@code msix-table} (0xff0000-0xff00ff);
     * the rest (0xff0100-0xffffff) is the trapping BAR itself. {@code virtio-net-pci} and {@code vfio-pci} alias
     * system memory; {@code e1000}'s bus-master alias is disabled (not printed), so it reaches nothing.
     */
    static final String ONE_BAR = "address-space: memory\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    0000000000000000-000000003fffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000003fffffff\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n"
            + "address-space: virtio-net-pci\n"
            + "address-space: vfio-pci\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
            + "    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff\n"
            + "\n"
            + "address-space: e1000\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
            + "\n"
            + "memory-region: pc.ram\n"
            + "  0000000000000000-000000003fffffff (prio 0, ram): pc.ram\n"
            + "\n"
            + "memory-region: pci\n"
            + "  0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
            + "    00000000c0000000-00000000c0ffffff (prio 1, i/o): 0000:01:00.0 BAR 0\n"
            + "      00000000c0000000-00000000c0feffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0]\n"
            + "      00000000c0ff0000-00000000c0ff00ff (prio 0, i/o): msix-table\n"
            + "\n"
            + "memory-region: system\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    0000000000000000-000000003fffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000003fffffff\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n";

    /** Like {@link #ONE_BAR}, but the dump shows BAR 2's two mmap pieces only, straight inside {@code pci}. */
    static final String PIECES_ONLY = "address-space: memory\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n"
            + "address-space: nvme\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
            + "    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff\n"
            + "\n"
            + "memory-region: pci\n"
            + "  0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
            + "    00000000d0000000-00000000d0000fff (prio 1, ramd): 0000:02:00.0 BAR 2 mmaps[0]\n"
            + "    00000000d0002000-00000000d0003fff (prio 1, ramd): 0000:02:00.0 BAR 2 mmaps[1]\n"
            + "\n"
            + "memory-region: system\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n";

    static MtreeImport load(String dump) throws IOException {
        return new MtreeImporter().importTree(new StringReader(dump), "test.txt");
    }
}
