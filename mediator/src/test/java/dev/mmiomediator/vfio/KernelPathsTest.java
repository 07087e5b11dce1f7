package dev.mmiomediator.vfio;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The kernel's next-step rule, checked for every (flag set, current, requested) combination of the four flag sets
 * the uapi defines against {@code kernel-paths.txt}, whose paths were derived from the kernel's C code without
 * this project's Java (see the file's header).
 */
class KernelPathsTest {
    static final String RESOURCE = "kernel-paths.txt";

    /** The expected lines, keyed by {@code "FLAGS CUR NEW"}, in file order. */
    static Map<String, String> expected() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = KernelPathsTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is missing from the test resources");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(": ");
                assertTrue(colon > 0, "malformed line: " + line);
                assertEquals(null, out.put(line.substring(0, colon), line.substring(colon + 2)), "twice: " + line);
            }
        }
        return out;
    }

    /** The Java answer in the file's format: the path, or {@code invalid: REASON}. */
    static String describe(MigrationFlags flags, MigrationState current, MigrationState requested) {
        try {
            return MigrationFsm.format(MigrationFsm.path(flags, current, requested));
        } catch (MigrationTransitionException e) {
            return "invalid: " + e.reason();
        }
    }

    @Test
    void theFileListsEveryCombinationOnceInUapiOrder() throws IOException {
        List<String> keys = new ArrayList<>();
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            for (MigrationState c : MigrationState.values()) {
                for (MigrationState n : MigrationState.values()) {
                    keys.add(f + " " + c + " " + n);
                }
            }
        }
        assertEquals(256, keys.size());
        assertEquals(keys, new ArrayList<>(expected().keySet()));
    }

    @TestFactory
    Stream<DynamicTest> everyCombinationMatchesTheKernel() throws IOException {
        return expected().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            String[] k = e.getKey().split(" ");
            MigrationFlags flags = MigrationFlags.parse(k[0]);
            MigrationState cur = MigrationState.parse(k[1]);
            MigrationState req = MigrationState.parse(k[2]);
            assertEquals(e.getValue(), describe(flags, cur, req));
            if (!e.getValue().startsWith("invalid: ")) {
                List<MigrationState> path = MigrationFsm.path(flags, cur, req);
                assertEquals(path.size() > 1 ? path.get(1) : cur, MigrationFsm.nextStep(flags, cur, req));
            } else {
                assertThrows(MigrationTransitionException.class, () -> MigrationFsm.nextStep(flags, cur, req));
            }
        }));
    }

    /** The combination transitions listed in the comment above {@code vfio_from_fsm_table}, all flags supported. */
    @Test
    void combinationTransitionsListedInTheKernelComment() {
        String[] listed = {
            "PRE_COPY -> PRE_COPY_P2P -> STOP_COPY",
            "PRE_COPY -> RUNNING -> RUNNING_P2P",
            "PRE_COPY -> RUNNING -> RUNNING_P2P -> STOP",
            "PRE_COPY -> RUNNING -> RUNNING_P2P -> STOP -> RESUMING",
            "PRE_COPY_P2P -> RUNNING_P2P -> RUNNING",
            "PRE_COPY_P2P -> RUNNING_P2P -> STOP",
            "PRE_COPY_P2P -> RUNNING_P2P -> STOP -> RESUMING",
            "RESUMING -> STOP -> RUNNING_P2P",
            "RESUMING -> STOP -> RUNNING_P2P -> PRE_COPY_P2P",
            "RESUMING -> STOP -> RUNNING_P2P -> RUNNING",
            "RESUMING -> STOP -> RUNNING_P2P -> RUNNING -> PRE_COPY",
            "RESUMING -> STOP -> STOP_COPY",
            "RUNNING -> RUNNING_P2P -> PRE_COPY_P2P",
            "RUNNING -> RUNNING_P2P -> STOP",
            "RUNNING -> RUNNING_P2P -> STOP -> RESUMING",
            "RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY",
            "RUNNING_P2P -> RUNNING -> PRE_COPY",
            "RUNNING_P2P -> STOP -> RESUMING",
            "RUNNING_P2P -> STOP -> STOP_COPY",
            "STOP -> RUNNING_P2P -> PRE_COPY_P2P",
            "STOP -> RUNNING_P2P -> RUNNING",
            "STOP -> RUNNING_P2P -> RUNNING -> PRE_COPY",
            "STOP_COPY -> STOP -> RESUMING",
            "STOP_COPY -> STOP -> RUNNING_P2P",
            "STOP_COPY -> STOP -> RUNNING_P2P -> RUNNING",
        };
        for (String p : listed) {
            String[] states = p.split(" -> ");
            MigrationState from = MigrationState.parse(states[0]);
            MigrationState to = MigrationState.parse(states[states.length - 1]);
            assertEquals(p, MigrationFsm.format(MigrationFsm.path(MigrationFlags.ALL, from, to)));
        }
    }

    @Test
    void withoutP2pStopAndRunningAreOneArcApart() {
        assertEquals(List.of(RUNNING, STOP, STOP_COPY), MigrationFsm.path(MigrationFlags.STOP_COPY_ONLY, RUNNING,
                STOP_COPY));
        assertEquals(List.of(STOP_COPY, STOP, RUNNING), MigrationFsm.path(MigrationFlags.WITH_PRE_COPY, STOP_COPY,
                RUNNING));
    }

    @Test
    void preCopyWithoutP2pGoesStraightToStopCopy() {
        assertEquals(List.of(PRE_COPY, STOP_COPY), MigrationFsm.path(MigrationFlags.WITH_PRE_COPY, PRE_COPY, STOP_COPY));
        assertEquals(List.of(PRE_COPY, PRE_COPY_P2P, STOP_COPY), MigrationFsm.path(MigrationFlags.ALL, PRE_COPY,
                STOP_COPY));
    }

    @Test
    void stopCopyBackToPreCopyIsRefusedByTheKernelNamingTheRule() {
        MigrationTransitionException e = assertThrows(MigrationTransitionException.class,
                () -> MigrationFsm.path(MigrationFlags.WITH_PRE_COPY, STOP_COPY, PRE_COPY));
        assertEquals(MigrationTransitionException.Kind.REFUSED_BY_KERNEL, e.kind());
        assertTrue(e.getMessage().startsWith("STOP_COPY -> PRE_COPY is refused by the kernel: "), e.getMessage());
        assertTrue(e.getMessage().contains("STOP_COPY,PRE_COPY"), e.getMessage());
        assertEquals(ERROR, MigrationFsm.tableEntry(STOP_COPY, PRE_COPY_P2P));
    }

    @Test
    void unsupportedStateIsNamedWithTheFlagsItNeeds() {
        MigrationTransitionException e = assertThrows(MigrationTransitionException.class,
                () -> MigrationFsm.path(MigrationFlags.STOP_COPY_ONLY, RUNNING, RUNNING_P2P));
        assertEquals(MigrationTransitionException.Kind.REQUESTED_UNSUPPORTED, e.kind());
        assertEquals("RUNNING -> RUNNING_P2P: RUNNING_P2P is not supported by a device with flags STOP_COPY: "
                + "it needs STOP_COPY,P2P", e.getMessage());
        assertEquals(RUNNING, e.current());
        assertEquals(RUNNING_P2P, e.requested());
        assertEquals(MigrationFlags.STOP_COPY_ONLY, e.flags());
    }

    @Test
    void theCurrentStateIsCheckedBeforeTheRequestedOne() {
        MigrationTransitionException e = assertThrows(MigrationTransitionException.class,
                () -> MigrationFsm.path(MigrationFlags.STOP_COPY_ONLY, RUNNING_P2P, ERROR));
        assertEquals(MigrationTransitionException.Kind.CURRENT_UNSUPPORTED, e.kind());
    }

    @Test
    void errorIsNeverValidEitherWay() {
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            MigrationTransitionException from = assertThrows(MigrationTransitionException.class,
                    () -> MigrationFsm.path(f, ERROR, RUNNING));
            assertEquals(MigrationTransitionException.Kind.CURRENT_IS_ERROR, from.kind());
            assertTrue(from.getMessage().contains("ERROR is never a valid current state"), from.getMessage());
            MigrationTransitionException to = assertThrows(MigrationTransitionException.class,
                    () -> MigrationFsm.path(f, RUNNING, ERROR));
            assertEquals(MigrationTransitionException.Kind.REQUESTED_IS_ERROR, to.kind());
            assertTrue(to.getMessage().contains("ERROR is never a valid requested state"), to.getMessage());
        }
    }

    @Test
    void noPathPassesThroughTheSavingGroupOnTheWay() {
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            for (MigrationState c : f.supportedStates()) {
                for (MigrationState n : f.supportedStates()) {
                    if (c == STOP_COPY && (n == PRE_COPY || n == PRE_COPY_P2P)) {
                        continue;
                    }
                    List<MigrationState> path = MigrationFsm.path(f, c, n);
                    for (MigrationState s : path.subList(Math.min(1, path.size() - 1), path.size() - 1)) {
                        // the only interior saving state the kernel allows: PRE_COPY -> PRE_COPY_P2P -> STOP_COPY
                        assertFalse(s.isSaving() && !(c == PRE_COPY && s == PRE_COPY_P2P && n == STOP_COPY),
                                f + " " + path);
                    }
                    assertEquals(path.size(), path.stream().distinct().count(), "a state repeats: " + path);
                }
            }
        }
    }

    @Test
    void tableEntriesAreDesignSectionFour() {
        assertEquals(Arrays.asList(STOP, RUNNING_P2P, RUNNING_P2P, RUNNING_P2P, STOP_COPY, RESUMING, RUNNING_P2P),
                Stream.of(STOP, RUNNING, PRE_COPY, PRE_COPY_P2P, STOP_COPY, RESUMING, RUNNING_P2P)
                        .map(n -> MigrationFsm.tableEntry(STOP, n)).toList());
        for (MigrationState s : MigrationState.values()) {
            assertEquals(ERROR, MigrationFsm.tableEntry(ERROR, s));
            assertEquals(ERROR, MigrationFsm.tableEntry(s, ERROR));
        }
    }
}
