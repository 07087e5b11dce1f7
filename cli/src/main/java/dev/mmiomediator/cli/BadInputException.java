package dev.mmiomediator.cli;

/** Bad input from the user: printed as one line, exit code {@link Main#EXIT_BAD_INPUT}. */
final class BadInputException extends RuntimeException {
    BadInputException(String message) {
        super(message);
    }
}
