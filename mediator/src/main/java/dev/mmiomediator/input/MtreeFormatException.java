package dev.mmiomediator.input;

/**
 * A line of an {@code info mtree} dump that cannot be read, or a dump whose structure is inconsistent.
 * The message names the source, the line number and what was expected.
 */
public final class MtreeFormatException extends IllegalArgumentException {
    private final String source;
    private final int line;

    /** An error at {@code line} (1-based; 0 when it concerns the whole dump) of {@code source}. */
    public MtreeFormatException(String source, int line, String message) {
        super(source + (line > 0 ? ":" + line : "") + ": " + message);
        this.source = source;
        this.line = line;
    }

    /** The file name (or {@code <stdin>}, or a resource name) the dump came from. */
    public String source() {
        return source;
    }

    /** The 1-based line number, or 0 when the error concerns the whole dump. */
    public int line() {
        return line;
    }
}
