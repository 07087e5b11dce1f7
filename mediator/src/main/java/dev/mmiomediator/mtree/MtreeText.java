package dev.mmiomediator.mtree;

import dev.mmiomediator.input.InputText;
import dev.mmiomediator.input.MtreeFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the readers of tree dumps, flat dumps and catalogues share: splitting a text into lines, the numbers of
 * a region line, and quoting untrusted text in messages.
 */
final class MtreeText {
    private static final Pattern LONG_QUOTE = Pattern.compile("'([^']{61,})'");

    private MtreeText() {
    }

    /** The lines of a dump, as {@link BufferedReader#readLine()} splits them, none longer than the limit. */
    static List<String> readLines(Reader text, String source) throws IOException {
        return InputText.lines(text, (line, detail) -> new MtreeFormatException(source, line, detail));
    }

    /**
     * Whether {@code line} is the monitor's, not the dump's: a prompt with its command ({@code (qemu) info mtree -f})
     * or the banner ({@code QEMU 9.1.0 monitor - type 'help' for more information}), as pasted with a dump.
     */
    static boolean isMonitorLine(String line) {
        return line.startsWith("(qemu)") || line.startsWith("QEMU ") && line.endsWith(" monitor - type 'help' for more information");
    }

    /** Whether {@code line} is a line {@code ...} (or {@code ... ...}) an author put where regions were left out. */
    static boolean isElision(String line) {
        String t = line.strip();
        return t.equals("...") || t.equals("... ...");
    }

    /**
     * Takes off the indent a page or mail gave the whole dump (a Markdown or reStructuredText code block, a quote
     * indent): when the first non-blank line is indented by k spaces and is a header ({@code isHeader} of the line
     * without its indent), and every non-blank line starts with k spaces, k spaces come off every line.
     *
     * @return k, or 0 when nothing was taken off
     */
    static int dedent(List<String> lines, java.util.function.Predicate<String> isHeader) {
        int k = -1;
        for (String l : lines) {
            if (l == null || l.isBlank()) {
                continue;
            }
            if (k < 0) {
                int n = 0;
                while (n < l.length() && l.charAt(n) == ' ') {
                    n++;
                }
                if (n == 0 || !isHeader.test(l.substring(n))) {
                    return 0;
                }
                k = n;
            }
            if (!l.startsWith(" ".repeat(k))) {
                return 0;
            }
        }
        if (k <= 0) {
            return 0;
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l != null) {
                lines.set(i, l.isBlank() ? "" : l.substring(k));
            }
        }
        return k;
    }

    /** {@code s}, cut to 60 characters: messages quote what is wrong, never a whole 64 KiB line. */
    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** A message of the memory model with each long quoted name abbreviated. */
    static String abbreviateQuoted(String message) {
        return LONG_QUOTE.matcher(message).replaceAll(m -> Matcher.quoteReplacement("'" + abbreviate(m.group(1)) + "'"));
    }

    /** QEMU's priorities are C {@code int}s. */
    static int priority(String digits, String source, int lineNo) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new MtreeFormatException(source, lineNo, "priority " + abbreviate(digits) + ": expected a 32-bit "
                    + "signed integer (" + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE + ")");
        }
    }

    /** Checks what a region line's hex fields would refuse in {@code digits}, to say so rather than "not a region line". */
    static void hexAddress(String digits, String what, String source, int lineNo) {
        if (digits.length() > 16) {
            throw new MtreeFormatException(source, lineNo, what + " " + abbreviate(digits) + " has " + digits.length()
                    + " hex digits: expected at most 16 (an address below 2^64)");
        }
        if (!digits.equals(digits.toLowerCase(Locale.ROOT))) {
            throw new MtreeFormatException(source, lineNo, what + " " + digits + ": expected lower-case hex digits, as "
                    + "QEMU prints them");
        }
    }
}
