package dev.mmiomediator.pci;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The address of a PCI function, {@code DDDD:BB:DD.F} (domain, bus, device, function) in lower-case hex, as
 * the kernel names it in sysfs and QEMU names a VFIO device's BARs ({@code 0000:01:00.0 BAR 0}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param domain   the PCI segment, 0 to 0xffff
 * @param bus      the bus, 0 to 0xff
 * @param device   the device, 0 to 0x1f
 * @param function the function, 0 to 7
 */
public record PciAddress(int domain, int bus, int device, int function) {
    private static final Pattern FORMAT =
            Pattern.compile("([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\\.([0-9a-f])");

    /**
     * Checks the ranges.
     *
     * @throws IllegalArgumentException naming the field and value out of range
     */
    public PciAddress {
        check("domain", domain, 0xffff);
        check("bus", bus, 0xff);
        check("device", device, 0x1f);
        check("function", function, 7);
    }

    private static void check(String what, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("PCI " + what + " 0x" + Integer.toHexString(value)
                    + ": must be between 0 and 0x" + Integer.toHexString(max));
        }
    }

    /**
     * Parses {@code DDDD:BB:DD.F}, e.g. {@code 0000:01:00.0}.
     *
     * @throws IllegalArgumentException naming the text if it is not in that form, is not lower-case, or a field
     *                                  is out of range
     */
    public static PciAddress parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            if (FORMAT.matcher(text.toLowerCase(Locale.ROOT)).matches()) {
                throw new IllegalArgumentException("PCI address '" + text + "': hex digits must be lower-case, "
                        + "as the kernel prints them ('" + text.toLowerCase(Locale.ROOT) + "')");
            }
            throw new IllegalArgumentException("PCI address '" + text
                    + "': expected DDDD:BB:DD.F in lower-case hex, e.g. 0000:01:00.0");
        }
        int device = Integer.parseInt(m.group(3), 16);
        int function = Integer.parseInt(m.group(4), 16);
        if (device > 0x1f) {
            throw new IllegalArgumentException("PCI address '" + text + "': device 0x" + m.group(3)
                    + " exceeds 0x1f");
        }
        if (function > 7) {
            throw new IllegalArgumentException("PCI address '" + text + "': function " + m.group(4)
                    + " exceeds 7");
        }
        return new PciAddress(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16), device, function);
    }

    /** {@code DDDD:BB:DD.F} in lower-case hex. */
    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%x", domain, bus, device, function);
    }
}
