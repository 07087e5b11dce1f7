package dev.mmiomediator.migration.plan;

import dev.mmiomediator.input.TopologyFormatException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The topology file format: what a good file gives, and the exact message of each error. */
class TopologyParserTest {
    static final String GOOD = """
            # a VM
            vm demo-q35   # trailing comment
            passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=2:0x1000,0:0x4000
            passthrough gpu  0000:02:00.0 bars=0:16M flags=stop_copy,p2p

            passthrough fpga 0000:03:00.0 flags=STOP_COPY               bars=0:64K
            passthrough acc  0000:04:00.0 flags=none                    bars=0:4096
            software virtio-net
            software nvme
            policy queue-and-replay read-fallback=abort
            """;

    static String error(String text) {
        return assertThrows(TopologyFormatException.class, () -> TopologyParser.parse(text, "t.topology"))
                .getMessage();
    }

    @Test
    void aGoodFileGivesEveryDeclarationInOrder() {
        Topology t = TopologyParser.parse(GOOD, "t.topology");
        assertEquals("demo-q35", t.vm());
        assertEquals(List.of("nic", "gpu", "fpga", "acc"), t.passthrough().stream().map(PassthroughSpec::name).toList());
        PassthroughSpec nic = t.passthrough().get(0);
        assertEquals(PciAddress.parse("0000:01:00.0"), nic.address());
        assertEquals(MigrationFlags.ALL, nic.flags());
        assertEquals(List.of(new PciBar(0, 0x4000), new PciBar(2, 0x1000)), nic.bars());
        assertEquals(MigrationFlags.WITH_P2P, t.passthrough().get(1).flags());
        assertEquals(List.of(new PciBar(0, 16L << 20)), t.passthrough().get(1).bars());
        assertEquals(List.of(new PciBar(0, 64 << 10)), t.passthrough().get(2).bars());
        PassthroughSpec acc = t.passthrough().get(3);
        assertFalse(acc.migratable());
        assertNull(acc.flags());
        assertEquals(Set.of(), acc.declaredFlags());
        assertEquals("none", acc.flagsText());
        assertEquals(List.of("virtio-net", "nvme"), t.softwareDevices());
        assertEquals(Optional.of("queue-and-replay"), t.policy());
        assertEquals(Map.of("read-fallback", "abort"), t.policyOptions());
    }

    @Test
    void withoutAVmLineTheVmIsNamedAfterTheFile() {
        assertEquals("lab", TopologyParser.parse("software nvme", "/tmp/x/lab.topology").vm());
    }

    @Test
    void flagsWithoutStopCopyAreKeptAsDeclared() {
        PassthroughSpec p = TopologyParser.parse("passthrough a 0000:01:00.0 flags=P2P bars=0:0x1000", "t").passthrough()
                .get(0);
        assertFalse(p.migratable());
        assertFalse(p.supportsP2p());
        assertEquals(Set.of(MigrationFlag.P2P), p.declaredFlags());
    }

    @Test
    void theDefaultVmHasThreeDevicesOneWithoutP2pAndTwoSoftwareDevices() {
        Topology vm = TopologyParser.defaultVm();
        assertEquals("demo-q35", vm.vm());
        assertEquals(List.of(MigrationFlags.ALL, MigrationFlags.WITH_P2P, MigrationFlags.STOP_COPY_ONLY),
                vm.passthrough().stream().map(PassthroughSpec::flags).toList());
        assertEquals(List.of("virtio-net", "nvme"), vm.softwareDevices());
        assertTrue(vm.policy().isEmpty());
        for (PassthroughSpec p : vm.passthrough()) {
            for (PciBar b : p.bars()) {
                assertTrue(b.size() >= 4096 && b.size() <= 4L << 20, p.name() + " " + b);
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            pasthrough nic 0000:01:00.0                                  | t.topology:2: unknown keyword 'pasthrough', expected vm, passthrough, software or policy
            vm a b                                                       | t.topology:2: 'vm' takes one name, got 2 words, expected 'vm NAME'
            vm b                                                         | t.topology:2: second 'vm' line (the first is line 1), expected one
            passthrough nic                                              | t.topology:2: 'passthrough' needs a name and an address, expected 'passthrough NAME DDDD:BB:DD.F flags=FLAGS bars=BARS'
            passthrough nic 0000:01:00                                   | t.topology:2: PCI address '0000:01:00': expected DDDD:BB:DD.F in lower-case hex, e.g. 0000:01:00.0
            passthrough nic 0000:0A:00.0 flags=STOP_COPY bars=0:0x1000   | t.topology:2: PCI address '0000:0A:00.0': hex digits must be lower-case, as the kernel prints them ('0000:0a:00.0')
            passthrough nic 0000:01:00.0 flags=STOP_COPY,P2Q bars=0:4K   | t.topology:2: unknown flag 'P2Q' in flags=STOP_COPY,P2Q, expected a comma-separated list of STOP_COPY, P2P, PRE_COPY (or none)
            passthrough nic 0000:01:00.0 flags=P2P,P2P bars=0:4K         | t.topology:2: flag P2P given twice in flags=P2P,P2P, expected each flag once
            passthrough nic 0000:01:00.0 bars=0:4K                       | t.topology:2: passthrough nic has no flags=, expected e.g. flags=STOP_COPY,P2P (or flags=none)
            passthrough nic 0000:01:00.0 flags=STOP_COPY                 | t.topology:2: passthrough nic has no bars=, expected e.g. bars=0:0x4000,2:0x1000
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=0:4K size=4 | t.topology:2: unknown word 'size=4' for passthrough nic, expected flags=FLAGS or bars=BARS
            passthrough nic 0000:01:00.0 flags=STOP_COPY flags=P2P bars=0:4K | t.topology:2: flags= given twice, expected it once
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=6:0x1000   | t.topology:2: BAR index '6' in bars=6:0x1000, expected 0 to 5
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=0          | t.topology:2: BAR '0' in bars=0, expected INDEX:SIZE, e.g. 0:0x4000
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=0:0x3000   | t.topology:2: BAR 0 size 0x3000 is not a power of two, expected a power of two (a BAR decodes a naturally aligned power-of-two window)
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=0:4KiB     | t.topology:2: BAR size '4KiB' in bars=0:4KiB, expected a size in decimal or 0x hex, optionally with K, M or G, e.g. 0x4000 or 16K
            passthrough nic 0000:01:00.0 flags=STOP_COPY bars=0:4K,0:8K  | t.topology:2: BAR 0 given twice in bars=0:4K,0:8K, expected each index once
            passthrough gpu 0000:00:01.0 flags=STOP_COPY bars=0:4K       | t.topology:2: address 0000:00:01.0 already declared at line 1, expected each passthrough address once
            passthrough a 0000:01:00.0 flags=STOP_COPY bars=0:4K         | t.topology:2: device name 'a' already used at line 1, expected unique device names
            software a                                                   | t.topology:2: device name 'a' already used at line 1, expected unique device names
            software -x                                                  | t.topology:2: device name '-x', expected a letter or digit followed by letters, digits, '.', '_' or '-'
            software a b                                                 | t.topology:2: 'software' takes one name, got 2 words, expected 'software NAME'
            policy                                                       | t.topology:2: 'policy' without a name, expected 'policy NAME [KEY=VALUE]...'
            policy fail-always strict                                    | t.topology:2: policy option 'strict', expected KEY=VALUE
            policy q k=1 k=2                                             | t.topology:2: policy option 'k' given twice, expected each option once
            """)
    void eachErrorNamesTheLineTheValueAndWhatWasExpected(String line2, String message) {
        String first = line2.startsWith("vm") ? "vm a" : line2.startsWith("policy") ? "# nothing"
                : "passthrough a 0000:00:01.0 flags=STOP_COPY bars=0:4K";
        assertEquals(message, error(first + "\n" + line2 + "\n"));
    }

    @Test
    void aSecondPolicyLineIsAnError() {
        assertEquals("t.topology:3: second 'policy' line (the first is line 1), expected one",
                error("policy fail-always\n\npolicy require-p2p"));
    }

    @Test
    void undecodableBytesNameTheLineAndByteOffset() {
        byte[] bytes = "vm a\nsoftware n\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        TopologyFormatException e = assertThrows(TopologyFormatException.class, () -> TopologyParser.parse(bytes,
                "t.topology"));
        assertEquals(2, e.line());
        assertEquals("t.topology:2: undecodable byte 0xe9 at byte offset 15 (byte 11 of the line): expected UTF-8 text",
                e.getMessage());
    }

    @Test
    void aFileIsDecodedStrictly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("bad.topology"), new byte[] {'v', 'm', ' ',
            (byte) 0xc3});
        TopologyFormatException e = assertThrows(TopologyFormatException.class, () -> TopologyParser.parse(file));
        assertEquals(file + ":1: undecodable byte 0xc3 at byte offset 3 (byte 4 of the line): expected UTF-8 text",
                e.getMessage());
    }

    @Test
    void aLineLongerThanTheLimitIsAnError() {
        String longLine = "software " + "x".repeat(dev.mmiomediator.input.InputText.MAX_LINE_LENGTH);
        assertEquals("t.topology:2: line of more than 65536 characters: expected lines of at most 65536 characters",
                error("vm a\n" + longLine + "\n"));
    }

    @Test
    void longValuesAreQuotedShortInErrors() {
        String message = error("vm a\nsoftware -" + "y".repeat(1000) + "\n");
        assertEquals("t.topology:2: device name '-" + "y".repeat(56) + "...', expected a letter or digit followed by "
                + "letters, digits, '.', '_' or '-'", message);
        assertEquals("t.topology:1: PCI address '0000:01:00." + "0".repeat(46) + "...': expected DDDD:BB:DD.F in "
                + "lower-case hex, e.g. 0000:01:00.0", error("passthrough a 0000:01:00." + "0".repeat(500)
                + " flags=none bars=0:4K"));
    }

    @Test
    void barSizesPast64BitsAreTooLarge() {
        assertEquals("t.topology:1: BAR size '0x10000000000000000' in bars=0:0x10000000000000000 is too large, expected "
                + "a size in decimal or 0x hex, optionally with K, M or G, e.g. 0x4000 or 16K",
                error("passthrough a 0000:01:00.0 flags=none bars=0:0x10000000000000000"));
        assertEquals("t.topology:1: BAR size '9007199254740992G' in bars=0:9007199254740992G is too large, expected "
                + "a size in decimal or 0x hex, optionally with K, M or G, e.g. 0x4000 or 16K",
                error("passthrough a 0000:01:00.0 flags=none bars=0:9007199254740992G"));
    }

    @Test
    void carriageReturnsEndLinesAsNewlinesDo() {
        assertEquals("t.topology:3: second 'vm' line (the first is line 1), expected one", error("vm a\r\n\rvm b"));
    }
}
