package dev.mmiomediator.cli;

/** Bad input from the user: printed as one line, exit code 2. */
final class BadInputException extends RuntimeException {
    BadInputException(String message) {
        super(message);
    }
}
