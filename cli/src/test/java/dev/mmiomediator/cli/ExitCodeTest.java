package dev.mmiomediator.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exit code table of {@link Main}, and {@code -v}: one line on stderr, the stack trace only when asked. */
class ExitCodeTest {
    @TempDir
    Path dir;

    @Test
    void theCodesAreZeroToFour() {
        assertEquals(0, Main.EXIT_OK);
        assertEquals(1, Main.EXIT_CHECK_FAILED);
        assertEquals(2, Main.EXIT_BAD_INPUT);
        assertEquals(3, Main.EXIT_INTERNAL);
        assertEquals(4, Main.EXIT_TRANSPORT);
    }

    @Test
    void aSocketFailureWrappedByMigrateIsATransportFailure() {
        assertEquals(Main.EXIT_TRANSPORT, Main.exitCode(new TransportException("--to 127.0.0.1:9: cannot connect",
                new ConnectException("Connection refused"))));
    }

    @Test
    void rejectedArgumentsAndUnreadableFilesAreBadInput() {
        assertEquals(Main.EXIT_BAD_INPUT, Main.exitCode(new BadInputException("--seed x")));
        assertEquals(Main.EXIT_BAD_INPUT, Main.exitCode(new IllegalArgumentException("unknown policy 'x'")));
        assertEquals(Main.EXIT_BAD_INPUT, Main.exitCode(new NoSuchFileException("vm.topology")));
        assertEquals(Main.EXIT_BAD_INPUT, Main.exitCode(new AccessDeniedException("vm.topology")));
    }

    @Test
    void anyOtherExceptionIsInternal() {
        assertEquals(Main.EXIT_INTERNAL, Main.exitCode(new NullPointerException()));
        assertEquals(Main.EXIT_INTERNAL, Main.exitCode(new IllegalStateException("a bug")));
        assertEquals(Main.EXIT_INTERNAL, Main.exitCode(new java.io.UncheckedIOException(new IOException("x"))));
    }

    @Test
    void aMigrateSideWhoseIntegrityCheckFailsExitsOne() {
        assertTrue(MigrateCommand.integrityKept(report("imagesMatch", true, "lost", 0L, "duplicated", 0L,
                "unrecorded", 0L)));
        assertTrue(MigrateCommand.integrityKept(report("outcome", "blocked")));
        assertFalse(MigrateCommand.integrityKept(report("imagesMatch", false)));
        assertFalse(MigrateCommand.integrityKept(report("ownWindowsMatch", false)));
        assertFalse(MigrateCommand.integrityKept(report("imagesMatch", true, "lost", 1L)));
        assertFalse(MigrateCommand.integrityKept(report("imagesMatch", true, "duplicated", 2L)));
        assertFalse(MigrateCommand.integrityKept(report("unchanged", true, "unrecorded", 3L)));
    }

    @Test
    void aRefusingDestinationWhoseOwnDevicesWroteItsMemoryKeptItsIntegrity() {
        assertTrue(MigrateCommand.integrityKept(report("outcome", "refused", "unchanged", false, "unrecorded", 0L)));
    }

    @Test
    void badInputIsOneLineWithoutVerbose() {
        CliRun r = CliRun.of("plan", dir.resolve("missing.topology").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mmio-mediator: " + dir.resolve("missing.topology")), r.err());
    }

    @Test
    void verboseBeforeTheCommandAddsTheStackTrace() {
        CliRun r = CliRun.of("-v", "plan", dir.resolve("missing.topology").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().startsWith("mmio-mediator: " + dir.resolve("missing.topology") + ": no such file\n"
                + BadInputException.class.getName()), r.err());
        assertTrue(r.err().contains("\tat dev.mmiomediator.cli.PlanCommand.read("), r.err());
    }

    @Test
    void verboseAfterTheCommandAddsTheStackTraceToo() {
        CliRun r = CliRun.of("plan", "--verbose", dir.resolve("missing.topology").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("\tat dev.mmiomediator.cli.PlanCommand.read("), r.err());
    }

    @Test
    void verboseAddsTheStackTraceToAnInternalError() {
        StringWriter err = new StringWriter();
        int code = Main.internalFailure(new IllegalStateException("a bug"), new PrintWriter(err), true);
        assertEquals(Main.EXIT_INTERNAL, code);
        assertTrue(err.toString().startsWith("mmio-mediator: internal error, please report it with the input that "
                + "caused it: java.lang.IllegalStateException: a bug (at " + ExitCodeTest.class.getName()), err.toString());
        assertTrue(err.toString().contains("\n" + IllegalStateException.class.getName() + ": a bug\n\tat "
                + ExitCodeTest.class.getName() + ".verboseAddsTheStackTraceToAnInternalError("), err.toString());
    }

    @Test
    void verboseAddsTheStackTraceToABadArgument() {
        CliRun plain = CliRun.of("plan", "--no-such-option");
        assertEquals(Main.EXIT_BAD_INPUT, plain.code());
        assertEquals(1, plain.err().lines().count(), plain.err());
        CliRun verbose = CliRun.of("-v", "plan", "--no-such-option");
        assertEquals(Main.EXIT_BAD_INPUT, verbose.code());
        assertTrue(verbose.err().contains("\tat picocli."), verbose.err());
    }

    private static Map<String, Object> report(Object... keysAndValues) {
        Map<String, Object> report = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            report.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return report;
    }
}
