package dev.mmiomediator.input;

/**
 * A migration stream that is truncated, corrupt, reordered, of an unknown version, or otherwise not valid; nothing
 * of it may be applied. The message names what is wrong and where, e.g.
 * {@code migration stream: section 3 (device-state 0000:02:00.0) at byte 1234: CRC32C 0x1a2b3c4d, the stream says
 * 0x5e6f7a8b: corrupt}.
 */
public final class StreamFormatException extends InputFormatException {
    private static final long serialVersionUID = 1L;

    /** What {@link #source()} says of every stream. */
    public static final String SOURCE = "migration stream";

    private final String section;

    /**
     * A refusal of the stream.
     *
     * @param section where the problem is: {@code magic}, {@code section 3 (device-state 0000:02:00.0)},
     *                {@code trailing bytes} ...
     * @param offset  the byte offset of the problem from the first byte of the stream
     * @param problem what is wrong, naming the value found and what was expected
     */
    public StreamFormatException(String section, long offset, String problem) {
        super(SOURCE + ": " + section + " at byte " + offset + ": " + problem, SOURCE, 0, offset, problem);
        this.section = section;
    }

    /**
     * Where the problem is: {@code magic}, {@code section N (TYPE)} with {@code N} the section's position in the
     * stream (the header is section 0) and, for a device-state section, the device's address when it can be read,
     * or {@code trailing bytes}.
     */
    public String section() {
        return section;
    }

    /** What is wrong, without the location: the message after {@code "... at byte N: "}. */
    public String problem() {
        return detail();
    }
}
