package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Chooses the region each alias points to: an alias line names only its target, and names are not unique.
 * QEMU prints one {@code memory-region:} block for every alias target, in the order the targets are first
 * referenced while printing; so walking the aliases in print order, each alias refers either to a block already
 * referenced or to the next block. With {@code -D} every alias is printed and the first references must consume
 * the blocks exactly in order: a dynamic programme over (alias, next block) keeps only the choices that can still
 * consume all blocks. Without {@code -D}, hidden disabled aliases may have referenced blocks in between, so any
 * later block of the right name may be next. Among the choices left, an alias prefers targets of its printed
 * type, then targets whose enabled content meets the alias window, then the next block, and never one that would
 * make the regions cyclic.
 */
final class AliasTargets {
    /** The words every note on a missing alias target holds, so the audit can pass those notes on. */
    static final String UNKNOWN_NOTE = "no 'memory-region:' block for alias target";

    private final ImportContext ctx;

    AliasTargets(ImportContext ctx) {
        this.ctx = ctx;
    }

    /** Sets {@link DumpNode#target} of every alias, once the repeated blocks are merged. */
    void resolve(List<DumpBlock> blocks) {
        List<DumpNode> targets = new ArrayList<>();
        for (DumpBlock b : blocks) {
            if (b.mrName != null) {
                targets.add(b.root.canonical);
            }
        }
        List<DumpNode> aliases = new ArrayList<>();
        for (DumpBlock b : blocks) {
            if (b.root.canonical == b.root) { // a repeated region's aliases were printed where it first appeared
                collectAliases(b.root, aliases);
            }
        }
        aliases = standInsForMissingTargets(aliases, targets, blocks);
        int a = aliases.size();
        int t = targets.size();
        boolean strict = ctx.showsDisabled();
        boolean[][] feasible = null;
        if (strict) {
            feasible = new boolean[a + 1][t + 1];
            feasible[a][t] = true;
            for (int i = a - 1; i >= 0; i--) {
                String name = aliases.get(i).targetName;
                boolean seenBefore = false;
                for (int k = 0; k <= t; k++) {
                    boolean old = seenBefore && feasible[i + 1][k];
                    boolean fresh = k < t && targets.get(k).name.equals(name) && feasible[i + 1][k + 1];
                    feasible[i][k] = old || fresh;
                    if (k < t && targets.get(k).name.equals(name)) {
                        seenBefore = true;
                    }
                }
            }
            if (!feasible[0][0]) {
                strict = false;
                ctx.note("the memory-region blocks are not in the order their first references give; "
                        + "alias targets are chosen by name and content only");
            }
        }
        int next = 0;
        for (int i = 0; i < a; i++) {
            DumpNode alias = aliases.get(i);
            int chosen = chooseTarget(alias, targets, next, strict ? feasible[i + 1] : null, strict);
            if (chosen >= next) {
                next = chosen + 1;
            }
            DumpNode target = targets.get(chosen);
            alias.target = target;
            if (target.placeholder && !alias.type.equals(target.type)) {
                // a hidden disabled target: the alias's printed type is the only trace of its kind
                target.type = alias.type;
                target.kind = MtreeTypes.kindOf(alias.type, RegionKind.CONTAINER);
            }
        }
    }

    /**
     * Gives each alias whose target name heads no memory-region block (a dump cut to an excerpt) a target: the one
     * region of that name the address-space trees print, when exactly one fits every such alias (its type, not
     * containing the alias); else a stand-in, one region per missing name, of the alias's printed type, from
     * address 0 to the end of the widest window into it, with nothing known inside. Notes each missing name once.
     * Returns the other aliases, whose targets are to be chosen among the memory-region blocks.
     */
    private List<DumpNode> standInsForMissingTargets(List<DumpNode> aliases, List<DumpNode> targets,
                                                     List<DumpBlock> blocks) {
        Set<String> printed = new HashSet<>();
        targets.forEach(t -> printed.add(t.name));
        Map<String, List<DumpNode>> users = new LinkedHashMap<>();
        List<DumpNode> rest = new ArrayList<>();
        for (DumpNode alias : aliases) {
            if (printed.contains(alias.targetName)) {
                rest.add(alias);
            } else {
                users.computeIfAbsent(alias.targetName, k -> new ArrayList<>()).add(alias);
            }
        }
        if (users.isEmpty()) {
            return rest;
        }
        Map<String, List<DumpNode>> inTrees = new HashMap<>();
        List<DumpNode> all = new ArrayList<>();
        for (DumpBlock b : blocks) {
            if (b.mrName == null && b.root.canonical == b.root) {
                b.root.collect(all);
            }
        }
        for (DumpNode n : all) {
            if (!n.alias && !n.placeholder && users.containsKey(n.name)) {
                inTrees.computeIfAbsent(n.name, k -> new ArrayList<>()).add(n);
            }
        }
        users.forEach((name, by) -> {
            List<DumpNode> fits = new ArrayList<>();
            for (DumpNode c : inTrees.getOrDefault(name, List.of())) {
                boolean ok = true;
                for (DumpNode alias : by) {
                    ok &= (c.type.equals(alias.type) || alias.type.equals("i/o")) && !isSelfOrAncestor(c, alias);
                }
                if (ok) {
                    fits.add(c);
                }
            }
            String first = by.size() + " alias" + (by.size() > 1 ? "es" : "") + " (first '" + by.get(0).name
                    + "', line " + by.get(0).line + ")";
            if (fits.size() == 1) {
                DumpNode t = fits.get(0);
                by.forEach(a -> a.target = t);
                ctx.note(by.get(0).line, UNKNOWN_NOTE + " '" + name + "' (the dump is an excerpt?): " + first
                        + " taken to lead into the one region of that name the trees print, at line " + t.line);
                ctx.blocklessTargets().add(t);
                return;
            }
            DumpNode t = new DumpNode(by.get(0).line, 1);
            t.name = name;
            t.type = by.get(0).type;
            t.kind = MtreeTypes.kindOf(t.type, RegionKind.MMIO);
            t.unknown = true;
            for (DumpNode alias : by) {
                if (t.size == null || Long.compareUnsigned(alias.aliasEnd, t.size.last()) > 0) {
                    t.size = Size.ofLast(alias.aliasEnd);
                    t.end = alias.aliasEnd;
                }
                alias.target = t;
            }
            ctx.note(t.line, UNKNOWN_NOTE + " '" + name + "' (the dump is an excerpt?): " + first + " lead into a "
                    + "stand-in " + t.type + " region '" + name + "' 0-" + Size.hex(t.end)
                    + " whose content is unknown" + (fits.isEmpty() ? "" : " (" + fits.size() + " regions of that name "
                    + "are printed; which one is not known)") + "; flat views render its whole window as that one region");
            ctx.unknownTargets().add(t);
            ctx.blocklessTargets().add(t);
        });
        return rest;
    }

    private static void collectAliases(DumpNode n, List<DumpNode> out) {
        if (n.alias) {
            out.add(n);
        }
        for (DumpNode c : n.children) {
            collectAliases(c, out);
        }
    }

    /** Returns the index of the chosen target block. */
    private int chooseTarget(DumpNode alias, List<DumpNode> targets, int next, boolean[] feasibleAfter, boolean strict) {
        int best = -1;
        int bestScore = Integer.MIN_VALUE;
        int ties = 0;
        for (int pass = 0; pass < 2 && best < 0; pass++) {
            // pass 1 drops the order constraints: a dump edited by hand still imports, with a note
            for (int k = 0; k < targets.size(); k++) {
                DumpNode c = targets.get(k);
                if (!c.name.equals(alias.targetName) || isSelfOrAncestor(c, alias) || reaches(c, alias)) {
                    continue;
                }
                if (pass == 0) {
                    if (strict && !(k < next ? feasibleAfter[next] : k == next && feasibleAfter[next + 1])) {
                        continue;
                    }
                }
                BigInteger winLo = u(c.start).add(u(alias.aliasStart));
                BigInteger winHi = winLo.add(u(alias.aliasEnd - alias.aliasStart));
                int score = (c.type.equals(alias.type) ? 8 : 0)
                        + (meets(c, winLo, winHi) ? 4 : 0)
                        + (k <= next ? 2 : 0)
                        + (k == next ? 1 : 0);
                if (score > bestScore) {
                    bestScore = score;
                    best = k;
                    ties = 1;
                } else if (score == bestScore) {
                    ties++;
                }
            }
            if (best < 0 && pass == 0 && strict) {
                ctx.note(alias.line, "alias '" + alias.name + "' @" + alias.targetName
                        + ": no target fits the order of the memory-region blocks; chose by name and content only");
            }
        }
        if (best < 0) {
            throw ctx.error(alias.line, "alias '" + abbreviate(alias.name) + "' targets '" + abbreviate(alias.targetName)
                    + "', which no 'memory-region: " + abbreviate(alias.targetName) + "' block of the dump can be (QEMU prints one "
                    + "for every alias target; a target that contains the alias would be a cycle)");
        }
        if (ties > 1) {
            ctx.note(alias.line, "alias '" + alias.name + "' @" + alias.targetName + ": " + ties
                    + " regions of that name fit equally well; chose the one at line " + targets.get(best).line);
        }
        return best;
    }

    /** Whether {@code target}'s subtree, following aliases resolved so far, contains {@code n}. */
    private static boolean reaches(DumpNode target, DumpNode n) {
        ArrayDeque<DumpNode> todo = new ArrayDeque<>();
        Set<DumpNode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        todo.add(target);
        while (!todo.isEmpty()) {
            DumpNode x = todo.poll().canonical;
            if (x == n) {
                return true;
            }
            if (!seen.add(x)) {
                continue;
            }
            todo.addAll(x.children);
            if (x.target != null) {
                todo.add(x.target);
            }
        }
        return false;
    }

    private static boolean isSelfOrAncestor(DumpNode candidate, DumpNode n) {
        for (DumpNode x = n; x != null; x = x.parent) {
            if (x == candidate) {
                return true;
            }
        }
        return false;
    }

    private static BigInteger u(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** Whether {@code n}'s enabled content meets the absolute window {@code [winLo, winHi]}. */
    private static boolean meets(DumpNode n, BigInteger winLo, BigInteger winHi) {
        if (n.disabled || n.placeholder || n.size == null || n.size.isZero()) {
            return false;
        }
        BigInteger s = u(n.start);
        BigInteger e = s.add(u(n.size.last()));
        if (e.compareTo(winLo) < 0 || s.compareTo(winHi) > 0) {
            return false;
        }
        if (n.alias || n.terminates()) {
            return true;
        }
        BigInteger lo = winLo.max(s);
        BigInteger hi = winHi.min(e);
        for (DumpNode c : n.children) {
            if (meets(c, lo, hi)) {
                return true;
            }
        }
        return false;
    }
}
