package dev.mmiomediator.policies;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ABORTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.QUEUED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.REPLAYED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in policy, found by name, in every target state, for a read and a write, through the engine and a
 * simulated device: the result bits, the bytes, the device's memory, and every counter, against the contracts
 * written out here from docs/policies.md (not from the policies' code). Where the migration is aborted, the control
 * brings the device back to RUNNING on another thread, as a migration driver would.
 */
class BuiltinContractTest {
    /** The states whose device accepts inbound MMIO, per the uapi (docs/vfio-migration.md), written out. */
    private static final Set<MigrationState> ACCEPTS = EnumSet.of(MigrationState.RUNNING,
            MigrationState.RUNNING_P2P, MigrationState.PRE_COPY, MigrationState.PRE_COPY_P2P);
    private static final int VALUE = 0x5aa5c33c;
    private static final int PRESET = 0x11223344;
    private static final byte[] PRESET_BYTES = {0x44, 0x33, 0x22, 0x11};

    /** What the contract says happens. */
    private enum Outcome {
        /** Performed at once. */
        FORWARD,
        /** Master abort at once. */
        FAIL,
        /** A write held, then replayed when the device runs again. */
        QUEUE,
        /** Abort asked; a write is held and replayed, a read waits and is forwarded. */
        ABORT
    }

    private static Outcome contract(String policy, MigrationState state, boolean write) {
        boolean accepts = ACCEPTS.contains(state);
        switch (policy) {
            case "fail-always":
                return Outcome.FAIL;
            case "require-p2p":
                return accepts ? Outcome.FORWARD : Outcome.FAIL;
            case "abort-migration":
                return accepts ? Outcome.FORWARD : Outcome.ABORT;
            case "queue-and-replay":
                return accepts ? Outcome.FORWARD : write ? Outcome.QUEUE : Outcome.ABORT;
            case "queue-and-replay read-fallback=fail":
                return accepts ? Outcome.FORWARD : write ? Outcome.QUEUE : Outcome.FAIL;
            default:
                throw new AssertionError(policy);
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String policy : List.of("fail-always", "require-p2p", "abort-migration", "queue-and-replay",
                "queue-and-replay read-fallback=fail")) {
            for (MigrationState state : MigrationState.values()) {
                all.add(Arguments.of(policy, state, true));
                all.add(Arguments.of(policy, state, false));
            }
        }
        return all.stream();
    }

    /** Back to RUNNING as a cancelled migration does: a reset from RESUMING (nothing loaded) or ERROR. */
    private static void resume(SimulatedPassthroughDevice sim) {
        MigrationState s = sim.device().state();
        if (s == MigrationState.RESUMING || s == MigrationState.ERROR) {
            sim.device().reset();
        } else {
            sim.device().transition(MigrationState.RUNNING);
        }
    }

    @ParameterizedTest(name = "{0}, target {1}, write={2}")
    @MethodSource("cases")
    void contractHolds(String policyName, MigrationState state, boolean write) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        if (ACCEPTS.contains(state)) {
            sim.mmioWrite("setup", 0, 0x40, 4, PRESET);
        }
        List<String> aborts = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> resumer = new ArrayList<>();
        MigrationControl control = reason -> {
            aborts.add(reason);
            resumer.add(CompletableFuture.runAsync(() -> resume(sim)));
        };
        String[] parts = policyName.split(" ");
        Map<String, String> options = parts.length == 1 ? Map.of()
                : Map.of(parts[1].split("=")[0], parts[1].split("=")[1]);
        PolicyEngine engine = new PolicyEngine(Policies.create(parts[0], options, getClass().getClassLoader()),
                control, new PolicyEngine.Settings(16, Duration.ofSeconds(20)));
        engine.register(sim.device(), SimulatedP2pTarget.of(sim));

        P2pAccess access = write ? Devices.write(VALUE) : Devices.read();
        int result = engine.handle(access);
        resumer.forEach(CompletableFuture::join);
        Outcome outcome = contract(policyName, state, write);
        if (outcome == Outcome.QUEUE) {
            assertEquals(0, sim.accesses().stream().filter(a -> !a.initiator().equals("setup")).count(),
                    "a queued write touched the device before it accepted");
            resume(sim);
        }

        Map<PolicyCounters.Counter, Long> expected = new EnumMap<>(PolicyCounters.Counter.class);
        for (PolicyCounters.Counter c : PolicyCounters.Counter.values()) {
            expected.put(c, 0L);
        }
        expected.put(FAULTS, 1L);
        int expectedResult;
        switch (outcome) {
            case FORWARD:
                expectedResult = MemTxResult.P2P_FORWARDED;
                expected.put(FORWARDED, 1L);
                break;
            case FAIL:
                expectedResult = MemTxResult.P2P_FAILED;
                expected.put(FAILED, 1L);
                break;
            case QUEUE:
                expectedResult = MemTxResult.P2P_QUEUED;
                expected.put(QUEUED, 1L);
                expected.put(REPLAYED, 1L);
                break;
            case ABORT:
            default:
                expected.put(ABORTS, 1L);
                if (write) {
                    expectedResult = MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_QUEUED;
                    expected.put(QUEUED, 1L);
                    expected.put(REPLAYED, 1L);
                } else {
                    expectedResult = MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FORWARDED;
                    expected.put(FORWARDED, 1L);
                }
                break;
        }
        assertEquals(MemTxResult.describe(expectedResult), MemTxResult.describe(result));
        Map<PolicyCounters.Counter, Long> actual = new EnumMap<>(PolicyCounters.Counter.class);
        for (PolicyCounters.Counter c : PolicyCounters.Counter.values()) {
            actual.put(c, engine.counters().get("virtio-net", Devices.NIC, c));
        }
        assertEquals(expected, actual);
        assertEquals(outcome == Outcome.ABORT ? 1 : 0, aborts.size());
        assertTrue(sim.violations().isEmpty(), "the device was touched in a state that forbids it");
        assertEquals(0, engine.heldCount(Devices.NIC));

        int before = ACCEPTS.contains(state) ? PRESET : 0;
        int bar = java.nio.ByteBuffer.wrap(sim.barContents(0), 0x40, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getInt();
        if (write) {
            assertEquals(Integer.toHexString(outcome == Outcome.FAIL ? before : VALUE), Integer.toHexString(bar),
                    "the BAR after the write");
        } else {
            assertEquals(Integer.toHexString(before), Integer.toHexString(bar), "a read changed the BAR");
            byte[] expectedBytes = outcome == Outcome.FAIL ? new byte[] {-1, -1, -1, -1}
                    : ACCEPTS.contains(state) ? PRESET_BYTES : new byte[4];
            assertArrayEquals(expectedBytes, access.data(), "the bytes read");
        }
    }
}
