package dev.mmiomediator.input;

/**
 * Input that does not follow its format: an {@code info mtree} dump ({@link MtreeFormatException}), a topology
 * file ({@link TopologyFormatException}) or a migration stream ({@link StreamFormatException}). Each names where
 * the input went wrong, by line for text and by byte offset for the binary stream, and what was expected.
 *
 * <p>Nothing of an input that threw one was applied. Callers that handle all bad input alike catch this type;
 * the command-line tool reports it as bad input (exit code 2).
 */
public abstract sealed class InputFormatException extends IllegalArgumentException
        permits MtreeFormatException, TopologyFormatException, StreamFormatException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final long offset;
    private final String detail;

    InputFormatException(String message, String source, int line, long offset, String detail) {
        super(message);
        this.source = source;
        this.line = line;
        this.offset = offset;
        this.detail = detail;
    }

    /** Where the input came from: a file name, {@code <stdin>}, a resource name, or {@code migration stream}. */
    public String source() {
        return source;
    }

    /** The 1-based line number in a text input, or 0 when the error concerns the whole input or it is binary. */
    public int line() {
        return line;
    }

    /** The byte offset from the first byte of a binary input, or -1 for a text input. */
    public long offset() {
        return offset;
    }

    /** What is wrong and what was expected, without the location. */
    public String detail() {
        return detail;
    }
}
