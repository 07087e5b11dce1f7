package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.pci.PciAddress;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A region name QEMU's {@code vfio-pci} gives a passthrough function's BAR ({@code 0000:01:00.0 BAR 0}, the
 * trapping region) or one of its mmap'd pieces ({@code 0000:01:00.0 BAR 0 mmaps[1]}, a ram device inside the
 * BAR). The PCI address is lower-case hex exactly as the kernel prints it, and the BAR index is 0 to 5; any
 * other name (upper-case hex, BAR 6, a device number above 0x1f) is not a VFIO name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param device the passthrough function
 * @param bar    the BAR index, 0 to 5
 * @param mmap   the mmap index {@code k} of a {@code mmaps[k]} piece, or -1 for the BAR region itself
 */
public record VfioRegionName(PciAddress device, int bar, int mmap) {
    private static final Pattern NAME = Pattern.compile(
            "([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]) BAR ([0-5])( mmaps\\[(0|[1-9][0-9]{0,8})\\])?");

    /** Validates the parts. */
    public VfioRegionName {
        new PassthroughBar(device, bar); // checks device and the BAR index
        if (mmap < -1) {
            throw new IllegalArgumentException("mmap index " + mmap + " of " + device + " BAR " + bar
                    + ": expected -1 (the BAR itself) or a piece index from 0");
        }
    }

    /**
     * Parses a region name.
     *
     * @return the name's parts, or {@code null} when {@code name} is not exactly a VFIO BAR or piece name
     */
    public static VfioRegionName parse(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return null;
        }
        PciAddress device;
        try {
            device = PciAddress.parse(m.group(1));
        } catch (IllegalArgumentException e) {
            return null; // e.g. device 0x3f: shaped like a PCI address but not one
        }
        return new VfioRegionName(device, m.group(2).charAt(0) - '0', m.group(4) == null ? -1 : Integer.parseInt(m.group(4)));
    }

    /** Whether this names the BAR region itself rather than one of its {@code mmaps[k]} pieces. */
    public boolean isBar() {
        return mmap < 0;
    }

    /** The passthrough BAR this region is, or is a piece of. */
    public PassthroughBar passthroughBar() {
        return new PassthroughBar(device, bar);
    }

    /** The name of the BAR region ({@code DDDD:BB:DD.F BAR n}). */
    public String barName() {
        return device + " BAR " + bar;
    }

    /** The name as QEMU prints it. */
    @Override
    public String toString() {
        return mmap < 0 ? barName() : barName() + " mmaps[" + mmap + "]";
    }
}
