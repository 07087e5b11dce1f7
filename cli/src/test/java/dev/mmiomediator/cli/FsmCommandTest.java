package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FsmCommandTest {
    /** A copy of the mediator's kernel-paths.txt (its header says how it was derived). */
    static final String KERNEL_PATHS = "kernel-paths.txt";
    static final Path MEDIATOR_COPY = Path.of("../mediator/src/test/resources/dev/mmiomediator/vfio/kernel-paths.txt");

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static String kernelPaths() throws IOException {
        try (InputStream in = FsmCommandTest.class.getResourceAsStream(KERNEL_PATHS)) {
            assertNotNull(in, KERNEL_PATHS + " is missing from the cli test resources");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void assertBadInput(CliRun r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals("mmio-mediator: " + message + System.lineSeparator(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void pathPrintsTheKernelsMultiStepPath() {
        CliRun r = run("fsm", "path", "--flags", "STOP_COPY,P2P", "--from", "RUNNING", "--to", "STOP_COPY");
        assertEquals(0, r.code(), r.err());
        assertEquals("RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY" + System.lineSeparator(), r.out());
        assertEquals("", r.err());
    }

    @Test
    void pathToTheSameStateIsThatState() {
        CliRun r = run("fsm", "path", "--flags", "stop_copy", "--from", "stop", "--to", "stop");
        assertEquals(0, r.code(), r.err());
        assertEquals("STOP" + System.lineSeparator(), r.out());
    }

    @Test
    void tableEqualsTheKernelDerivedPathsForEveryUapiFlagSet() throws IOException {
        List<String> expected = kernelPaths().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertEquals(256, expected.size());
        for (String flags : List.of("STOP_COPY", "STOP_COPY,P2P", "STOP_COPY,PRE_COPY", "STOP_COPY,P2P,PRE_COPY")) {
            CliRun r = run("fsm", "table", "--flags", flags);
            assertEquals(0, r.code(), r.err());
            String want = expected.stream().filter(l -> l.startsWith(flags + " "))
                    .map(l -> l.substring(flags.length() + 1)).collect(Collectors.joining(System.lineSeparator(), "",
                            System.lineSeparator()));
            assertEquals(64, want.lines().count(), flags);
            assertEquals(want, r.out(), flags);
        }
    }

    @Test
    void theCopyOfTheExpectedTableEqualsTheMediatorsOne() throws IOException {
        if (Files.isRegularFile(MEDIATOR_COPY)) {   // tests run from the module directory under Maven
            assertEquals(Files.readString(MEDIATOR_COPY, StandardCharsets.UTF_8), kernelPaths());
        }
    }

    @Test
    void blockedArcExitsTwoSayingWhy() {
        assertBadInput(run("fsm", "path", "--flags", "STOP_COPY,PRE_COPY", "--from", "STOP_COPY", "--to", "PRE_COPY"),
                "STOP_COPY -> PRE_COPY is refused by the kernel: its next-step table leads from STOP_COPY to ERROR "
                        + "(a blocked arc; device flags STOP_COPY,PRE_COPY)");
    }

    @Test
    void unsupportedStateExitsTwoNamingTheFlagsItNeeds() {
        assertBadInput(run("fsm", "path", "--flags", "STOP_COPY", "--from", "RUNNING", "--to", "RUNNING_P2P"),
                "RUNNING -> RUNNING_P2P: RUNNING_P2P is not supported by a device with flags STOP_COPY: it needs "
                        + "STOP_COPY,P2P");
    }

    @Test
    void errorStateExitsTwo() {
        CliRun r = run("fsm", "path", "--flags", "STOP_COPY", "--from", "ERROR", "--to", "RUNNING");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("ERROR is never a valid current state"), r.err());
        r = run("fsm", "path", "--flags", "STOP_COPY", "--from", "RUNNING", "--to", "ERROR");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("ERROR is never a valid requested state"), r.err());
    }

    @Test
    void unknownStateExitsTwoListingTheValidNames() {
        assertBadInput(run("fsm", "path", "--flags", "STOP_COPY", "--from", "RUNING", "--to", "STOP"),
                "migration state 'RUNING': expected one of ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, "
                        + "PRE_COPY, PRE_COPY_P2P");
    }

    @Test
    void flagsWithoutStopCopyOrUnknownFlagsExitTwo() {
        assertBadInput(run("fsm", "table", "--flags", "P2P"),
                "migration flags 'P2P': STOP_COPY is mandatory for every migratable device");
        assertBadInput(run("fsm", "path", "--flags", "STOP_COPY,FAST", "--from", "STOP", "--to", "RUNNING"),
                "migration flags 'STOP_COPY,FAST': unknown flag 'FAST', expected a comma-separated list of "
                        + "STOP_COPY, P2P, PRE_COPY");
    }

    @Test
    void missingOptionsAndMissingSubcommandExitTwo() {
        CliRun r = run("fsm", "table");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--flags"), r.err());
        assertEquals(2, run("fsm", "path", "--flags", "STOP_COPY", "--from", "STOP").code());
        r = run("fsm");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("path or table"), r.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] args : List.of(new String[] {"fsm", "--help"}, new String[] {"fsm", "path", "--help"},
                new String[] {"fsm", "table", "--help"})) {
            CliRun r = run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().startsWith("Usage: mmio-mediator fsm"), r.out());
        }
        assertTrue(run("--help").out().contains("fsm"));
    }
}
