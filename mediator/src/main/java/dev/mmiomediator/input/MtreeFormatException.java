package dev.mmiomediator.input;

/**
 * A line of an {@code info mtree} dump that cannot be read, or a dump whose structure is inconsistent.
 * The message is {@code SOURCE:LINE: what is wrong, expected ...} ({@code SOURCE: ...} for the whole dump).
 */
public final class MtreeFormatException extends InputFormatException {
    private static final long serialVersionUID = 1L;

    /** An error at {@code line} (1-based; 0 when it concerns the whole dump) of {@code source}. */
    public MtreeFormatException(String source, int line, String message) {
        super(source + (line > 0 ? ":" + line : "") + ": " + message, source, line, -1, message);
    }
}
