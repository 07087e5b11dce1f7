package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Well-known QEMU region names whose nature the {@code info mtree} text does not show, gathered from real
 * dumps: which {@code i/o} regions are MMIO although they have children (or containers although they
 * have none), which aliases are read-only although they print their target's {@code ram} type, and which
 * regions are empty although they print like one byte.
 *
 * <p>The text format, one rule a line ({@code #} starts a comment):
 * <pre>
 * mmio       io                      # exact name
 * mmio       /[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] BAR [0-9]+/   # a regex, whole name
 * container  bus master container
 * readonly   pam-rom
 * zero-size  tseg-blackhole
 * </pre>
 * Later rules win over earlier ones, so a user's file loaded after the built-in one overrides it.
 *
 * <p>Immutable and thread-safe.
 */
public final class RegionCatalogue {
    /** What a rule says about a region. */
    public enum Hint {
        /** An {@code i/o} region that is MMIO: it claims the addresses its children leave free. */
        MMIO,
        /** An {@code i/o} region that is a container, even when the dump shows it without children. */
        CONTAINER,
        /** A region or alias that is read-only although its printed type does not say so. */
        READONLY,
        /** A region that is empty when it prints as {@code START-START}. */
        ZERO_SIZE;

        static Hint parse(String word) {
            switch (word.toLowerCase(Locale.ROOT)) {
                case "mmio": return MMIO;
                case "container": return CONTAINER;
                case "readonly": case "read-only": return READONLY;
                case "zero-size": case "zerosize": return ZERO_SIZE;
                default: return null;
            }
        }

        /** The word used in catalogue files. */
        public String word() {
            return this == ZERO_SIZE ? "zero-size" : name().toLowerCase(Locale.ROOT);
        }
    }

    /** One rule: a hint for an exact name or a regex. */
    public record Rule(Hint hint, String name, Pattern pattern, String origin) {
        boolean matches(String regionName) {
            return pattern != null ? pattern.matcher(regionName).matches() : name.equals(regionName);
        }

        @Override
        public String toString() {
            return hint.word() + " " + (pattern != null ? "/" + pattern.pattern() + "/" : name) + "  (" + origin + ")";
        }
    }

    private static final String BUILT_IN = "dev/mmiomediator/mtree/region-catalogue.txt";
    private static final RegionCatalogue EMPTY = new RegionCatalogue(List.of());
    private static volatile RegionCatalogue builtIn;

    private final List<Rule> rules;

    private RegionCatalogue(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** A catalogue with no rules: the dump's structure alone decides. */
    public static RegionCatalogue empty() {
        return EMPTY;
    }

    /** The catalogue shipped with the library (see {@code region-catalogue.txt} in this package). */
    public static RegionCatalogue builtIn() {
        RegionCatalogue c = builtIn;
        if (c == null) {
            try (InputStream in = RegionCatalogue.class.getClassLoader().getResourceAsStream(BUILT_IN)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource " + BUILT_IN);
                }
                c = EMPTY.plus(new InputStreamReader(in, StandardCharsets.UTF_8), "built-in catalogue");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            builtIn = c;
        }
        return c;
    }

    /**
     * This catalogue plus the rules of a catalogue file; its rules win over these.
     *
     * @throws MtreeFormatException as {@link #plus(Reader, String)} does, and naming the line and byte offset of
     *         bytes that are not UTF-8
     */
    public RegionCatalogue plus(Path file) throws IOException {
        String source = file.toString();
        return plus(new java.io.StringReader(MtreeImporter.decode(Files.readAllBytes(file), source)), source);
    }

    /**
     * This catalogue plus the rules read from {@code text}.
     *
     * @throws MtreeFormatException naming the source and line of a rule that cannot be read
     */
    public RegionCatalogue plus(Reader text, String source) throws IOException {
        List<Rule> all = new ArrayList<>(rules);
        int n = 0;
        for (String line : MtreeText.readLines(text, source)) {
            n++;
            String t = stripComment(line).strip();
            if (t.isEmpty()) {
                continue;
            }
            all.add(parseRule(t, source, n));
        }
        return new RegionCatalogue(all);
    }

    /**
     * This catalogue plus one rule written as {@code HINT NAME} or {@code HINT=NAME} (for example
     * {@code mmio=vga.mmio} or {@code "readonly /pam-rom|isa-bios/"}), as given on the command line.
     */
    public RegionCatalogue plus(String rule) {
        String t = rule.strip();
        int eq = t.indexOf('=');
        int sp = t.indexOf(' ');
        if (eq > 0 && (sp < 0 || eq < sp)) {
            t = t.substring(0, eq) + " " + t.substring(eq + 1);
        }
        List<Rule> all = new ArrayList<>(rules);
        all.add(parseRule(t, "command line", 0));
        return new RegionCatalogue(all);
    }

    private static String stripComment(String line) {
        // a '#' starts a comment unless it is inside a /regex/
        boolean inRegex = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '/' && (i == 0 || line.charAt(i - 1) != '\\')) {
                inRegex = !inRegex;
            } else if (c == '#' && !inRegex) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static Rule parseRule(String t, String source, int line) {
        int sp = t.indexOf(' ');
        String word = sp < 0 ? t : t.substring(0, sp);
        String what = sp < 0 ? "" : t.substring(sp + 1).strip();
        Hint hint = Hint.parse(word);
        if (hint == null) {
            throw new MtreeFormatException(source, line, "catalogue rule '" + MtreeText.abbreviate(t)
                    + "': expected a hint (mmio, container, readonly, zero-size) then a name or /regex/");
        }
        if (what.isEmpty()) {
            throw new MtreeFormatException(source, line, "catalogue rule '" + MtreeText.abbreviate(t)
                    + "': expected a region name or /regex/ after '" + MtreeText.abbreviate(word) + "'");
        }
        String origin = source + (line > 0 ? ":" + line : "");
        if (what.length() >= 2 && what.startsWith("/") && what.endsWith("/")) {
            try {
                return new Rule(hint, null, Pattern.compile(what.substring(1, what.length() - 1)), origin);
            } catch (PatternSyntaxException e) {
                throw new MtreeFormatException(source, line, "catalogue rule '" + MtreeText.abbreviate(t)
                        + "': bad regex: " + e.getDescription());
            } catch (StackOverflowError e) {
                // java.util.regex compiles groups recursively
                throw new MtreeFormatException(source, line, "catalogue rule '" + MtreeText.abbreviate(t)
                        + "': regex nested too deeply to compile: expected a simpler regex");
            }
        }
        return new Rule(hint, what, null, origin);
    }

    /** The rules, oldest first. */
    public List<Rule> rules() {
        return rules;
    }

    /** Whether the last rule about {@code kind} hints (MMIO vs CONTAINER) for this name says {@code hint}. */
    Hint kindHint(String regionName) {
        Objects.requireNonNull(regionName);
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule r = rules.get(i);
            if ((r.hint == Hint.MMIO || r.hint == Hint.CONTAINER) && r.matches(regionName)) {
                return r.hint;
            }
        }
        return null;
    }

    /** Whether some rule gives {@code hint} (READONLY or ZERO_SIZE) to this name. */
    boolean has(Hint hint, String regionName) {
        for (Rule r : rules) {
            if (r.hint == hint && r.matches(regionName)) {
                return true;
            }
        }
        return false;
    }

    /** The rule that decides {@code hint} for a name, for notes and {@code --explain}. */
    public Rule ruleFor(String regionName, Hint hint) {
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule r = rules.get(i);
            if (r.hint == hint && r.matches(regionName)) {
                return r;
            }
        }
        return null;
    }
}
