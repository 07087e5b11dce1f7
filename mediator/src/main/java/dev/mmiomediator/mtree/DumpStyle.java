package dev.mmiomediator.mtree;

/**
 * How a tree dump was printed, where QEMU's versions differ (see the package documentation's version table), so
 * that a re-export reproduces the dump: whether address spaces that share a root are printed as one block,
 * whether alias lines print their target's type, and the line ends.
 *
 * <p>Immutable and thread-safe.
 *
 * @param groupedAddressSpaces true for QEMU 6.2 and later: address spaces with the same root share one block
 *                             under their {@code address-space:} lines, sorted by name; false for QEMU before 6.2:
 *                             one block per address space, in QEMU's order, each with its own copy of its root's
 *                             tree
 * @param aliasTargetTypes     true for QEMU 3.0 and later: an alias line prints its target's type ({@code ram},
 *                             {@code rom}, ...); false for QEMU 2.10 to 2.12, which print {@code i/o} for every
 *                             alias
 * @param parentlessAsContainer true for a recent QEMU whose {@code memory_region_type} prints {@code container},
 *                             not {@code i/o}, for a region in no container (an address space's root, an alias
 *                             target placed nowhere, and an alias leading to one); false for QEMU up to 10.0 at least
 * @param lineEnd              {@code "\n"}, or {@code "\r\n"} for a dump saved with CRLF line ends
 */
public record DumpStyle(boolean groupedAddressSpaces, boolean aliasTargetTypes, boolean parentlessAsContainer,
                        String lineEnd) {
    /** What QEMU 6.2 to 10.0 print, with {@code \n} line ends. */
    public static final DumpStyle CURRENT = new DumpStyle(true, true, false, "\n");

    /** Validates the line end. */
    public DumpStyle {
        if (!"\n".equals(lineEnd) && !"\r\n".equals(lineEnd)) {
            throw new IllegalArgumentException("line end " + (lineEnd == null ? "null" : lineEnd.replace("\r", "\\r")
                    .replace("\n", "\\n")) + ": expected \\n or \\r\\n");
        }
    }

    /** This style with line ends {@code lineEnd}. */
    public DumpStyle withLineEnd(String lineEnd) {
        return new DumpStyle(groupedAddressSpaces, aliasTargetTypes, parentlessAsContainer, lineEnd);
    }

    /**
     * The line end a dump's text uses: {@code "\r\n"} when its first line ends so, else {@code "\n"}.
     */
    public static String lineEndOf(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                return i > 0 && text.charAt(i - 1) == '\r' ? "\r\n" : "\n";
            }
        }
        return "\n";
    }

    /** {@code text}, written with {@code \n} line ends, with this style's line ends instead. */
    public String applyLineEnds(String text) {
        return lineEnd.equals("\n") ? text : text.replace("\n", lineEnd);
    }
}
