package dev.mmiomediator.input;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict reading of line-based text input. Lines end at {@code \n}, {@code \r\n} or {@code \r}, as for
 * {@link java.io.BufferedReader#readLine()}, and are numbered from 1 the same way by every method here. A line may hold at most {@link #MAX_LINE_LENGTH} bytes (when decoding) or characters (when
 * reading decoded text), so that a file without line ends cannot make a parser hold or scan an unbounded line.
 *
 * <p>Stateless and thread-safe.
 */
public final class InputText {
    /** The longest line accepted: 64 KiB (QEMU's longest real {@code info mtree} lines are a few hundred bytes). */
    public static final int MAX_LINE_LENGTH = 64 * 1024;

    /** Makes the caller's format exception for a 1-based line; the detail says what is wrong and what was expected. */
    @FunctionalInterface
    public interface Errors {
        RuntimeException at(int line, String detail);
    }

    private InputText() {
    }

    /**
     * Decodes {@code bytes} as UTF-8, line by line, with malformed and unmappable input reported, never replaced.
     *
     * @throws RuntimeException from {@code errors}, for the first line holding bytes that are not UTF-8 (naming the
     *         bytes and their offset in the input and in the line) or longer than {@link #MAX_LINE_LENGTH} bytes
     */
    public static String decodeUtf8(byte[] bytes, Errors errors) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        StringBuilder out = new StringBuilder(bytes.length);
        CharBuffer chars = CharBuffer.allocate(MAX_LINE_LENGTH + 1);
        int start = 0;
        int line = 1;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            int length = end - start;
            if (length > MAX_LINE_LENGTH) {
                throw errors.at(line, "line of more than " + MAX_LINE_LENGTH + " bytes (from byte offset " + start
                        + "): expected lines of at most " + MAX_LINE_LENGTH + " bytes");
            }
            decoder.reset();
            chars.clear();
            ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
            CoderResult r = decoder.decode(in, chars, true);
            if (!r.isError()) {
                r = decoder.flush(chars);
            }
            if (r.isError()) {
                int at = in.position();
                StringBuilder hex = new StringBuilder();
                for (int i = 0; i < r.length(); i++) {
                    hex.append(i == 0 ? "" : " ").append(String.format("0x%02x", bytes[at + i] & 0xff));
                }
                throw errors.at(line, (r.isMalformed() ? "undecodable byte" : "unmappable byte")
                        + (r.length() > 1 ? "s " : " ") + hex + " at byte offset " + at + " (byte " + (at - start + 1)
                        + " of the line): expected UTF-8 text");
            }
            chars.flip();
            out.append(chars);
            // keep the line end as it was: callers split the text again
            if (end < bytes.length) {
                out.append((char) bytes[end]);
                if (bytes[end] == '\r' && end + 1 < bytes.length && bytes[end + 1] == '\n') {
                    out.append('\n');
                    end++;
                }
            }
            start = end + 1;
            line++;
        }
        return out.toString();
    }

    /**
     * The lines of {@code text}, without their line ends.
     *
     * @throws RuntimeException from {@code errors}, for the first line longer than {@link #MAX_LINE_LENGTH}
     *         characters (read no further than that)
     */
    public static List<String> lines(Reader text, Errors errors) throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char[] buf = new char[8192];
        boolean any = false;
        boolean afterCr = false;
        int n;
        while ((n = text.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                char c = buf[i];
                if (c == '\n' && afterCr) {
                    afterCr = false;
                    continue;
                }
                afterCr = c == '\r';
                if (c == '\n' || c == '\r') {
                    lines.add(cur.toString());
                    cur.setLength(0);
                    any = false;
                    continue;
                }
                if (cur.length() == MAX_LINE_LENGTH) {
                    throw tooLong(errors, lines.size() + 1);
                }
                cur.append(c);
                any = true;
            }
        }
        if (any) {
            lines.add(cur.toString());
        }
        return lines;
    }

    private static RuntimeException tooLong(Errors errors, int line) {
        return errors.at(line, "line of more than " + MAX_LINE_LENGTH + " characters: expected lines of at most "
                + MAX_LINE_LENGTH + " characters");
    }

    /**
     * Checks one line of text already split into lines.
     *
     * @throws RuntimeException from {@code errors} if {@code text} is longer than {@link #MAX_LINE_LENGTH} characters
     */
    public static void checkLength(String text, int line, Errors errors) {
        if (text.length() > MAX_LINE_LENGTH) {
            throw tooLong(errors, line);
        }
    }
}
