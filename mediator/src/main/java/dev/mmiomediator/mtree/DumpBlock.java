package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.List;

/**
 * One block of a tree dump: the {@code address-space:} headers that share a root (or one {@code memory-region:}
 * header, printed for an alias target) and the region tree below them.
 */
final class DumpBlock {
    /** The line of the block's first header. */
    final int line;
    /** The address spaces the block is printed for; empty for a memory-region block. */
    final List<String> asNames = new ArrayList<>();
    /** The region named by a {@code memory-region:} header; {@code null} for an address-space block. */
    String mrName;
    DumpNode root;
    /**
     * For an address-space block of a dump printed before QEMU 6.2 whose root repeats an earlier block's root, that
     * block; else {@code null}.
     */
    DumpBlock sharesRootWith;

    DumpBlock(int line) {
        this.line = line;
    }

    /** How messages name the block: its header. */
    String describe() {
        return mrName != null ? "block 'memory-region: " + MtreeText.abbreviate(mrName) + "'"
                : "block 'address-space: " + MtreeText.abbreviate(String.join(", ", asNames)) + "'";
    }
}
