package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the address spaces of a dump printed before QEMU 6.2 that share a root. Those versions print one block per
 * address space, in QEMU's order, each with its own copy of its root's tree ({@code address-space: memory} and
 * {@code address-space: cpu-memory-0} both print {@code system}); QEMU 6.2 and later print the address spaces of
 * one root as one block under several {@code address-space:} lines. A dump is taken as the older format when no
 * block has more than one {@code address-space:} line; then address-space blocks whose roots have the same name
 * and print identically are one root, so their address spaces render one shared flat view, as QEMU's do.
 */
final class SharedRoots {
    private SharedRoots() {
    }

    /**
     * Sets {@link DumpBlock#sharesRootWith} and the canonical nodes of every address-space block that repeats an
     * earlier one, before {@link RepeatedBlocks} runs.
     *
     * @return whether the dump is printed in the format of QEMU before 6.2 (no block with several address spaces)
     *         and has at least two blocks; a dump of a single address space is taken as the current format
     */
    static boolean merge(List<DumpBlock> blocks, ImportContext ctx) {
        int spaces = 0;
        for (DumpBlock b : blocks) {
            if (b.mrName == null) {
                if (b.asNames.size() > 1) {
                    return false;
                }
                spaces++;
            }
        }
        if (spaces < 2) {
            return false;
        }
        Map<String, List<DumpBlock>> byRootName = new HashMap<>();
        Map<DumpBlock, String> signatures = new HashMap<>();
        int shared = 0;
        for (DumpBlock b : blocks) {
            if (b.mrName != null) {
                continue;
            }
            String sig = RepeatedBlocks.signature(b.root, 0, 0);
            List<DumpBlock> earlier = byRootName.computeIfAbsent(b.root.name, k -> new ArrayList<>());
            for (DumpBlock e : earlier) {
                if (signatures.get(e).equals(sig)) {
                    b.sharesRootWith = e;
                    RepeatedBlocks.mapCanonical(b.root, e.root);
                    shared++;
                    break;
                }
            }
            if (b.sharesRootWith == null) {
                earlier.add(b);
                signatures.put(b, sig);
            }
        }
        ctx.note("one block per address space (the format of QEMU before 6.2)" + (shared == 0 ? ""
                : ": " + shared + " address space" + (shared > 1 ? "s" : "") + " printed with a copy of an earlier "
                + "block's root share that root"));
        return true;
    }
}
