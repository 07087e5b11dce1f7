package dev.mmiomediator.input;

/**
 * A topology file that does not follow the format of {@code migration.plan.TopologyParser}. The message is
 * {@code SOURCE:LINE: what is wrong, expected ...}.
 */
public final class TopologyFormatException extends InputFormatException {
    private static final long serialVersionUID = 1L;

    /** An error at {@code line} (1-based) of {@code source}; {@code detail} says what is wrong and what was expected. */
    public TopologyFormatException(String source, int line, String detail) {
        super(source + ":" + line + ": " + detail, source, line, -1, detail);
    }
}
