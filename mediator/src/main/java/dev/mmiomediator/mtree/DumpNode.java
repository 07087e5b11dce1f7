package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;

import java.util.ArrayList;
import java.util.List;

/**
 * One region of a tree dump: the fields of its printed line (or, for a placeholder, of the hidden disabled region
 * it stands for), then what the import steps infer for it and the model region built from it.
 */
final class DumpNode {
    // ---- printed: set by the line parser (a placeholder's by HiddenRegions)
    final int line;
    final int level;
    long start;
    long end;
    int prio;
    boolean nv;
    String type;
    String name;
    boolean alias;
    String targetName;
    long aliasStart;
    long aliasEnd;
    boolean disabled;
    boolean placeholder;
    boolean overflow;
    /** A stand-in for an alias target the dump does not print (in no block; see {@link AliasTargets}). */
    boolean unknown;
    // ---- the tree: set by the block parser
    DumpNode parent;
    final List<DumpNode> children = new ArrayList<>();
    DumpBlock block;
    // ---- inferred
    /** For a node of a memory-region block that repeats a region printed elsewhere, that region; else itself. */
    DumpNode canonical = this;
    /** For an alias, the target chosen among the memory-region blocks. */
    DumpNode target;
    RegionKind kind;
    Size size;
    // ---- built
    MemoryRegion region;

    DumpNode(int line, int level) {
        this.line = line;
        this.level = level;
    }

    /** The region's own address inside its container, as QEMU stores it. */
    long ownAddress() {
        return parent == null ? start : start - parent.start;
    }

    /** The region's own address inside {@code container}, before it is attached there. */
    long ownAddress(DumpNode container) {
        return start - container.start;
    }

    /** Whether the region claims addresses itself when rendered, as far as its kind is decided. */
    boolean terminates() {
        return kind != null && kind.terminates();
    }

    /** This node and its subtree, in print order, appended to {@code out}. */
    void collect(List<DumpNode> out) {
        out.add(this);
        for (DumpNode c : children) {
            c.collect(out);
        }
    }
}
