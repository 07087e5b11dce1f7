package dev.mmiomediator.mtree;

import dev.mmiomediator.input.InputText;
import dev.mmiomediator.input.MtreeFormatException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one import of a tree dump carries through its steps: the dump's name for messages, the notes on what was
 * inferred, the catalogue of facts the dump does not print, whether the dump is a {@code -D} dump, and the limits (depth,
 * name length).
 *
 * <p><b>Note:</b> not thread-safe; one per import.
 */
final class ImportContext {
    private final String source;
    private final RegionCatalogue catalogue;
    private final boolean showsDisabled;
    private final List<String> notes = new ArrayList<>();
    private final List<DumpNode> unknownTargets = new ArrayList<>();
    private final List<DumpNode> blocklessTargets = new ArrayList<>();

    ImportContext(String source, RegionCatalogue catalogue, boolean showsDisabled) {
        this.source = source;
        this.catalogue = catalogue;
        this.showsDisabled = showsDisabled;
    }

    /** The name of the dump, used in messages and notes. */
    String source() {
        return source;
    }

    /** The catalogue consulted for the facts the dump does not print. */
    RegionCatalogue catalogue() {
        return catalogue;
    }

    /**
     * Whether the dump prints disabled regions ({@code info mtree -D}): then every region is printed and the
     * structure must be exact; without {@code -D} hidden disabled regions are inferred.
     */
    boolean showsDisabled() {
        return showsDisabled;
    }

    /** The deepest region tree imported (see {@link MtreeImporter#MAX_DEPTH}). */
    int maxDepth() {
        return MtreeImporter.MAX_DEPTH;
    }

    /**
     * Checks a name printed on {@code line} against {@link MtreeImporter#MAX_NAME_BYTES}.
     *
     * @param what what the name names, as the message says it ({@code "region name"}, ...)
     * @throws MtreeFormatException for a longer name, naming the line, the name's length and the limit
     */
    void checkName(String name, String what, int line) {
        int limit = MtreeImporter.MAX_NAME_BYTES;
        // a char takes at most 3 bytes of UTF-8 (a surrogate pair 4 for its 2 chars): shorter names need no count
        if (name.length() > limit / 3) {
            int bytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limit) {
                throw error(line, what + " '" + MtreeText.abbreviate(name) + "' of " + bytes + " bytes: expected at "
                        + "most " + limit + " bytes (UTF-8), so that every line an export of it writes fits in the "
                        + "line limit of " + InputText.MAX_LINE_LENGTH + " bytes");
            }
        }
    }

    /** Records what was inferred at {@code line} of the dump. */
    void note(int line, String text) {
        notes.add(source + ":" + line + ": " + text);
    }

    /** Records what was inferred about the dump as a whole. */
    void note(String text) {
        notes.add(source + ": " + text);
    }

    /**
     * The stand-ins for alias targets the dump does not print (an excerpt): regions of no block, one per missing
     * target name, made by {@link AliasTargets}.
     */
    List<DumpNode> unknownTargets() {
        return unknownTargets;
    }

    /**
     * Every alias target the dump prints no memory-region block for: the {@link #unknownTargets()} and the regions
     * of the trees taken as targets; a re-export prints no block for them either.
     */
    List<DumpNode> blocklessTargets() {
        return blocklessTargets;
    }

    /** The notes recorded so far, in the order they were recorded. */
    List<String> notes() {
        return notes;
    }

    /** The error for {@code line} of the dump (0 for the dump as a whole). */
    MtreeFormatException error(int line, String detail) {
        return new MtreeFormatException(source, line, detail);
    }
}
