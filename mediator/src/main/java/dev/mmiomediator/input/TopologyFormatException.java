package dev.mmiomediator.input;

/**
 * A topology file that does not follow the format of {@link dev.mmiomediator.migration.plan.TopologyParser}.
 * The message is {@code SOURCE:LINE: what is wrong, expected ...}.
 */
public final class TopologyFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;

    /** An error at {@code line} (1-based) of {@code source}; {@code detail} says what is wrong and what was expected. */
    public TopologyFormatException(String source, int line, String detail) {
        super(source + ":" + line + ": " + detail);
        this.source = source;
        this.line = line;
    }

    /** The file name (or other name) the text came from. */
    public String source() {
        return source;
    }

    /** The 1-based line number. */
    public int line() {
        return line;
    }
}
