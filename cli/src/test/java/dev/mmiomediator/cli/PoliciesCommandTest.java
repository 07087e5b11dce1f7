package dev.mmiomediator.cli;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.policy.PolicyProvider;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmio-mediator policies}, and a third-party policy jar built in the test, found by name and used. */
class PoliciesCommandTest {
    static final String NL = System.lineSeparator();
    static final String PROVIDER = "com.example.gpu.GpuGuardPolicy$Provider";
    static final String POLICY_SOURCE = """
            package com.example.gpu;

            import dev.mmiomediator.policy.Decision;
            import dev.mmiomediator.policy.P2pPolicy;
            import dev.mmiomediator.policy.PolicyProvider;
            import dev.mmiomediator.policy.Rule;
            import dev.mmiomediator.policy.RulePolicy;
            import java.util.Map;

            public final class GpuGuardPolicy {
                public static final class Provider implements PolicyProvider {
                    public Provider() {
                    }

                    @Override
                    public String name() {
                        return "third-party-gpu-guard";
                    }

                    @Override
                    public String description() {
                        return "forward to the GPU while it accepts, else abort the migration";
                    }

                    @Override
                    public P2pPolicy create(Map<String, String> options) {
                        return RulePolicy.builder(name())
                                .description(description())
                                .when(Rule.device("0000:02:00.0").targetAccepts()).then(Decision.FORWARD)
                                .when(Rule.device("0000:02:00.0")).then(Decision.ABORT_MIGRATION)
                                .otherwise(Decision.FAIL)
                                .build();
                    }
                }
            }
            """;
    static final String BUILTINS =
            "abort-migration    forward while the target accepts; otherwise cancel the migration and complete the "
                    + "access once the target accepts again" + NL
            + "example-nic-first  example for policy authors: forward one software device's writes to one BAR range "
                    + "while the target accepts; fail everything else" + NL
            + "                   option initiator: the software device whose writes are forwarded (default "
                    + "virtio-net)" + NL
            + "                   option device: the target passthrough device's PCI address (default 0000:01:00.0)"
                    + NL
            + "                   option bar: the target BAR, 0 to 5 (default 2)" + NL
            + "                   option from: the first BAR offset forwarded, decimal or 0x hex (default 0)" + NL
            + "                   option to: the end of the BAR offsets forwarded, exclusive, decimal or 0x hex "
                    + "(default 0x1000)" + NL
            + "fail-always        every P2P access is a master abort (reads all-ones, writes dropped), whatever the "
                    + "target's state" + NL
            + "queue-and-replay   forward while the target accepts; otherwise queue posted writes and replay them "
                    + "exactly once, in order, when it accepts again (reads: abort the migration, or fail)" + NL
            + "                   option read-fallback: what a read gets while its target does not accept: abort "
                    + "cancels the migration and the read waits for the target, fail returns all-ones at once "
                    + "(default abort; one of abort, fail)" + NL
            + "require-p2p        QEMU 8.2 parity: migrating several devices needs P2P on all; accesses are forwarded "
                    + "when the target accepts and fail otherwise" + NL;

    @TempDir
    Path tmp;

    private Path policyDir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("policies"));
        PolicyJar.build(tmp.resolve("build"), dir.resolve("gpu-guard.jar"),
                Map.of("com.example.gpu.GpuGuardPolicy", POLICY_SOURCE), List.of(PROVIDER));
        return dir;
    }

    static void assertBadInput(CliRun r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals("mmio-mediator: " + message + NL, r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void listsTheBuiltinsSortedAndAligned() {
        CliRun r = CliRun.of("policies");
        assertEquals(0, r.code(), r.err());
        assertEquals(BUILTINS, r.out());
        assertEquals("", r.err());
    }

    @Test
    void theJarIsFoundByNameAndDecidesAsWrittenThroughTheEngine() throws IOException {
        Path dir = policyDir();
        URL[] urls = {dir.resolve("gpu-guard.jar").toUri().toURL()};
        try (URLClassLoader loader = new URLClassLoader(urls, PoliciesCommandTest.class.getClassLoader())) {
            assertThrows(IllegalArgumentException.class,
                    () -> Policies.find("third-party-gpu-guard", PoliciesCommandTest.class.getClassLoader()),
                    "the policy must come from the jar only");
            PolicyProvider provider = Policies.find("third-party-gpu-guard", loader);
            assertEquals(loader, provider.getClass().getClassLoader());
            P2pPolicy policy = provider.create(Map.of());

            PciAddress gpu = PciAddress.parse("0000:02:00.0");
            SimulatedPassthroughDevice sim = new SimulatedPassthroughDevice(gpu, MigrationFlags.ALL,
                    new PciBar(0, 0x1000));
            List<String> aborts = new CopyOnWriteArrayList<>();
            PolicyEngine engine = new PolicyEngine(policy, aborts::add);
            engine.register(sim.device(), SimulatedP2pTarget.of(sim));
            Initiator nic = Initiator.softwareDevice("virtio-net");

            P2pAccess w = new P2pAccess(nic, new PassthroughBar(gpu, 0), 0x10, 4, true, new byte[] {1, 2, 3, 4});
            assertEquals(MemTxResult.P2P_FORWARDED, engine.handle(w));
            assertEquals(0x04030201L, sim.mmioRead("test", 0, 0x10, 4));
            assertTrue(aborts.isEmpty());

            sim.device().transition(MigrationState.STOP);
            P2pAccess w2 = new P2pAccess(nic, new PassthroughBar(gpu, 0), 0x10, 4, true, new byte[] {9, 9, 9, 9});
            assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_QUEUED, engine.handle(w2));
            assertEquals(1, aborts.size(), aborts.toString());
            assertTrue(aborts.get(0).startsWith("policy 'third-party-gpu-guard': "), aborts.get(0));
            sim.device().transition(MigrationState.RUNNING);
            assertEquals(0x09090909L, sim.mmioRead("test", 0, 0x10, 4), "the held write completed on resume");

            PolicyCounters c = engine.counters();
            assertEquals(1, c.get("virtio-net", gpu, PolicyCounters.Counter.FORWARDED));
            assertEquals(1, c.get("virtio-net", gpu, PolicyCounters.Counter.ABORTS));
            assertEquals(1, c.get("virtio-net", gpu, PolicyCounters.Counter.REPLAYED));
            assertEquals(0, c.get("virtio-net", gpu, PolicyCounters.Counter.FAILED));
        }
    }

    @Test
    void policyPathListsTheJarsPolicyWithTheBuiltins() throws IOException {
        CliRun r = CliRun.of("policies", "--policy-path", policyDir().toString());
        assertEquals(0, r.code(), r.err());
        String pad = " ".repeat("third-party-gpu-guard".length() - "example-nic-first".length());
        String expected = BUILTINS.replace("abort-migration    ", "abort-migration    " + pad)
                .replace("example-nic-first  ", "example-nic-first  " + pad)
                .replace("queue-and-replay   ", "queue-and-replay   " + pad)
                .replace("fail-always        ", "fail-always        " + pad)
                .replace("require-p2p        ", "require-p2p        " + pad)
                .replace(NL + " ".repeat(19) + "option ", NL + " ".repeat(19) + pad + "option ")
                + "third-party-gpu-guard  forward to the GPU while it accepts, else abort the migration" + NL;
        assertEquals(expected, r.out());
        assertEquals("", r.err());
    }

    @Test
    void missingDirectoryIsBadInput() {
        Path dir = tmp.resolve("nope");
        assertBadInput(CliRun.of("policies", "--policy-path", dir.toString()),
                "--policy-path " + dir + ": no such directory");
    }

    @Test
    void directoryWithoutJarsIsBadInput() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(dir.resolve("README.txt"), "not a jar");
        assertBadInput(CliRun.of("policies", "--policy-path", dir.toString()),
                "--policy-path " + dir + ": holds no *.jar file and no "
                        + "META-INF/services/dev.mmiomediator.policy.PolicyProvider, expected a directory of policy "
                        + "jars or a class directory");
    }

    @Test
    void brokenJarIsBadInputNamingIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Path jar = Files.writeString(dir.resolve("broken.jar"), "this is not a zip file");
        CliRun r = CliRun.of("policies", "--policy-path", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("mmio-mediator: --policy-path " + dir + ": " + jar + " is not a readable jar: "),
                r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void jarNamingAMissingProviderClassIsBadInput() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("missing"));
        PolicyJar.build(tmp.resolve("build"), dir.resolve("gpu-guard.jar"),
                Map.of("com.example.gpu.GpuGuardPolicy", POLICY_SOURCE), List.of("com.example.gpu.NoSuchProvider"));
        CliRun r = CliRun.of("policies", "--policy-path", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("mmio-mediator: cannot load the policies of --policy-path [" + dir + "]: "),
                r.err());
        assertTrue(r.err().contains("com.example.gpu.NoSuchProvider"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void jarRepeatingABuiltinNameIsBadInput() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dup"));
        String source = POLICY_SOURCE.replace("\"third-party-gpu-guard\"", "\"fail-always\"");
        PolicyJar.build(tmp.resolve("build"), dir.resolve("dup.jar"),
                Map.of("com.example.gpu.GpuGuardPolicy", source), List.of(PROVIDER));
        CliRun r = CliRun.of("policies", "--policy-path", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("policy name 'fail-always' is provided twice"), r.err());
    }

    @Test
    void helpDescribesThePolicyPath() {
        CliRun r = CliRun.of("policies", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--policy-path=DIR"), r.out());
        assertTrue(r.out().contains(NL + "  META-INF/services/dev.mmiomediator.policy.PolicyProvider" + NL), r.out());
    }
}
