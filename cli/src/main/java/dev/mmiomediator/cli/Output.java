package dev.mmiomediator.cli;

import java.io.PrintWriter;
import java.util.Objects;

/**
 * What a command prints on standard error besides its failure line, by the global {@code -q} and {@code -v} and by
 * whether standard error is a terminal. An <em>event</em> is a line a user or a script waits for ("listening on
 * HOST:PORT", a refused connection, a migrate side's steps): printed unless {@code -q}. <em>Progress</em> is a
 * line that is stale as soon as the next one comes: with {@code -v}, every line; on a terminal, one line rewritten in
 * place with {@code \r}; else nothing, so a log or a pipe holds only what matters.
 *
 * <p><b>Note:</b> thread-safe (the two sides of a simulation report from their own threads); each call prints whole.
 */
final class Output {
    /** The verbosity {@code -q} and {@code -v} choose. */
    enum Level {
        /** {@code -q}: nothing but errors. */
        QUIET,
        /** Events; progress only on a terminal, in place. */
        NORMAL,
        /** {@code -v}: events, every progress line, DEBUG log lines and stack traces. */
        VERBOSE
    }

    private final PrintWriter err;
    private final Level level;
    private final boolean terminal;
    private final int width;
    /** Length of the progress line now on the terminal, 0 if none. */
    private int shown;

    Output(PrintWriter err, Level level, boolean terminal, int width) {
        this.err = Objects.requireNonNull(err, "err");
        this.level = Objects.requireNonNull(level, "level");
        this.terminal = terminal;
        this.width = Math.max(20, width);
    }

    /** The terminal width from {@code COLUMNS} if it is a number, else 80. */
    static int columns() {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "80").trim());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    Level level() {
        return level;
    }

    /** Prints {@code line} unless {@code -q}, after clearing the progress line if one is shown. */
    synchronized void event(String line) {
        if (level == Level.QUIET) {
            return;
        }
        clear();
        err.println(line);
        err.flush();
    }

    /** With {@code -v}, prints {@code line}; on a terminal, shows it in place of the last one; else drops it. */
    synchronized void progress(String line) {
        if (level == Level.VERBOSE) {
            err.println(line);
        } else if (level == Level.NORMAL && terminal) {
            String fit = line.length() < width ? line : line.substring(0, width - 4) + "...";
            err.print('\r' + fit + " ".repeat(Math.max(0, shown - fit.length())));
            shown = fit.length();
        } else {
            return;
        }
        err.flush();
    }

    /** Clears the progress line, if one is shown, so that what follows starts at the left margin. */
    synchronized void done() {
        clear();
        err.flush();
    }

    private void clear() {
        if (shown > 0) {
            err.print('\r' + " ".repeat(shown) + '\r');
            shown = 0;
        }
    }
}
