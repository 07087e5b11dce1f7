package dev.mmiomediator.migration.stream;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8: a string that would not come back unchanged (an unpaired surrogate, bad bytes) is refused. */
final class Utf8 {
    private Utf8() {
    }

    /**
     * The UTF-8 bytes of {@code text}.
     *
     * @throws IllegalArgumentException naming {@code what} if the text holds an unpaired surrogate or is longer
     *                                  than {@code maxBytes}
     */
    static byte[] encode(String text, String what, int maxBytes) {
        if (ascii(text)) {
            if (text.length() > maxBytes) {
                throw new IllegalArgumentException(what + " is " + text.length() + " bytes of UTF-8, expected at most "
                        + maxBytes);
            }
            return text.getBytes(StandardCharsets.US_ASCII);
        }
        ByteBuffer bytes;
        try {
            bytes = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " '" + text + "' is not well-formed Unicode: " + e.getMessage());
        }
        if (bytes.remaining() > maxBytes) {
            throw new IllegalArgumentException(what + " is " + bytes.remaining() + " bytes of UTF-8, expected at most "
                    + maxBytes);
        }
        byte[] out = new byte[bytes.remaining()];
        bytes.get(out);
        return out;
    }

    /** The text of well-formed UTF-8 {@code bytes}. */
    static String decode(byte[] bytes) throws CharacterCodingException {
        if (ascii(bytes)) { // the common case (initiator ids, region names), without a decoder per string
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    }

    /** Whether {@code text} is ASCII and at most {@code maxBytes} long: then it encodes as is, without a check. */
    static boolean fitsAscii(String text, int maxBytes) {
        return text.length() <= maxBytes && ascii(text);
    }

    private static boolean ascii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }
}
