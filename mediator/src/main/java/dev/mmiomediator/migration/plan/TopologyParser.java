package dev.mmiomediator.migration.plan;

import dev.mmiomediator.input.TopologyFormatException;

import dev.mmiomediator.input.InputText;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the topology file format: one declaration per line, words separated by blanks, {@code #} starts a comment
 * that runs to the end of the line, blank lines are ignored.
 *
 * <pre>
 * # a VM with three passthrough functions, one without P2P
 * vm demo-q35
 * passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:0x4000,2:0x1000
 * passthrough gpu  0000:02:00.0 flags=STOP_COPY,P2P           bars=0:16M
 * passthrough fpga 0000:03:00.0 flags=STOP_COPY               bars=0:64K
 * software virtio-net
 * software nvme
 * policy queue-and-replay read-fallback=abort
 * </pre>
 *
 * <ul>
 *   <li>{@code vm NAME}: the VM's name; at most once. Without it the name is the file name without its directory
 *       and extension.</li>
 *   <li>{@code passthrough NAME ADDRESS flags=FLAGS bars=BARS}: a passthrough (VFIO) function, in the order the
 *       orchestrator moves them. ADDRESS is {@code DDDD:BB:DD.F} in lower-case hex. FLAGS is a comma-separated list of
 *       {@code STOP_COPY}, {@code P2P}, {@code PRE_COPY} (any case), or {@code none}: a device without STOP_COPY has no
 *       migration support, which the file allows and the plan blocks. BARS is a comma-separated list of
 *       {@code INDEX:SIZE}, INDEX 0 to 5, SIZE a power of two in decimal or {@code 0x} hex, optionally followed by
 *       {@code K}, {@code M} or {@code G} (times 1024, 1024^2, 1024^3). {@code flags=} and {@code bars=} are both
 *       required, in either order.</li>
 *   <li>{@code software NAME}: a software (emulated) device that does DMA, e.g. {@code virtio-net}.</li>
 *   <li>{@code policy NAME [KEY=VALUE]...}: the P2P policy and its options; at most once. The policy's provider
 *       checks the name and options, not the parser.</li>
 * </ul>
 * NAMEs are a letter or digit followed by letters, digits, {@code .}, {@code _} or {@code -}, and are unique among
 * all devices; addresses are unique. Every error is a {@link TopologyFormatException}
 * {@code SOURCE:LINE: what is wrong, expected ...}.
 *
 * <p>Stateless and thread-safe.
 */
public final class TopologyParser {
    /** The class path resource holding {@link #defaultVm()}. */
    public static final String DEFAULT_VM_RESOURCE = "/dev/mmiomediator/migration/plan/default-vm.topology";
    /** The source name errors and plans give the default VM. */
    public static final String DEFAULT_VM_SOURCE = "default-vm.topology";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern SIZE = Pattern.compile("(0x[0-9a-fA-F]+|[0-9]+)([KMG]?)");
    private static final String KEYWORDS = "vm, passthrough, software or policy";

    private TopologyParser() {
    }

    /** Parses the file at {@code file}, naming it by its path in errors; see {@link #parse(byte[], String)}. */
    public static Topology parse(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses a file's bytes, which must be UTF-8; {@code source} names it in errors.
     *
     * @throws TopologyFormatException as {@link #parse(String, String)} does, and naming the line and byte offset of
     *         the first bytes that are not UTF-8
     */
    public static Topology parse(byte[] bytes, String source) {
        return parse(InputText.decodeUtf8(bytes, (line, detail) -> new TopologyFormatException(source, line, detail)),
                source);
    }

    /** The project's default VM ({@value #DEFAULT_VM_SOURCE}): what {@code simulate} and {@code plan} use by default. */
    public static Topology defaultVm() {
        return parse(defaultVmText(), DEFAULT_VM_SOURCE);
    }

    /** The text of {@value #DEFAULT_VM_SOURCE}, as shipped. */
    public static String defaultVmText() {
        try (InputStream in = TopologyParser.class.getResourceAsStream(DEFAULT_VM_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + DEFAULT_VM_RESOURCE + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses {@code text}; {@code source} names it in errors (a file name). Lines end at {@code \n}, {@code \r\n}
     * or {@code \r} and hold at most {@link InputText#MAX_LINE_LENGTH} characters.
     *
     * @throws TopologyFormatException {@code SOURCE:LINE: what is wrong, expected ...}
     */
    public static Topology parse(String text, String source) {
        return new Reader(source).read(text);
    }

    /** One parse: what has been declared so far, and where. */
    private static final class Reader {
        private final String source;
        private String vm;
        private int vmLine;
        private final List<PassthroughSpec> passthrough = new ArrayList<>();
        private final List<String> software = new ArrayList<>();
        private String policy;
        private int policyLine;
        private final Map<String, String> options = new LinkedHashMap<>();
        private final Map<String, Integer> nameLines = new HashMap<>();
        private final Map<PciAddress, Integer> addressLines = new HashMap<>();
        private int line;

        Reader(String source) {
            this.source = source;
        }

        Topology read(String text) {
            List<String> lines;
            try {
                lines = InputText.lines(new java.io.StringReader(text), (at, detail) -> new TopologyFormatException(source,
                        at, detail));
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a StringReader does not fail
            }
            for (int i = 0; i < lines.size(); i++) {
                line = i + 1;
                String content = lines.get(i);
                int hash = content.indexOf('#');
                if (hash >= 0) {
                    content = content.substring(0, hash);
                }
                content = content.strip();
                if (!content.isEmpty()) {
                    declaration(content.split("\\s+"));
                }
            }
            return new Topology(vm == null ? defaultName() : vm, passthrough, software, Optional.ofNullable(policy),
                    options);
        }

        private String defaultName() {
            String base = source.replace('\\', '/');
            base = base.substring(base.lastIndexOf('/') + 1);
            int dot = base.lastIndexOf('.');
            base = dot > 0 ? base.substring(0, dot) : base;
            return base.isEmpty() ? "vm" : base;
        }

        /** {@code 'text'}, cut short if long: a message quotes what is wrong, not a whole line. */
        private static String quote(String text) {
            return "'" + abbreviate(text) + "'";
        }

        private static String abbreviate(String text) {
            return text.length() > 60 ? text.substring(0, 57) + "..." : text;
        }

        private TopologyFormatException error(String detail) {
            return new TopologyFormatException(source, line, detail);
        }

        private void declaration(String[] w) {
            switch (w[0]) {
                case "vm" -> vm(w);
                case "passthrough" -> passthrough(w);
                case "software" -> software(w);
                case "policy" -> policy(w);
                default -> throw error("unknown keyword " + quote(w[0]) + ", expected " + KEYWORDS);
            }
        }

        private void vm(String[] w) {
            if (w.length != 2) {
                throw error("'vm' takes one name, got " + (w.length - 1) + " words, expected 'vm NAME'");
            }
            if (vm != null) {
                throw error("second 'vm' line (the first is line " + vmLine + "), expected one");
            }
            vm = name(w[1], "VM name");
            vmLine = line;
        }

        private void software(String[] w) {
            if (w.length != 2) {
                throw error("'software' takes one name, got " + (w.length - 1) + " words, expected 'software NAME'");
            }
            software.add(uniqueName(w[1]));
        }

        private void policy(String[] w) {
            if (w.length < 2) {
                throw error("'policy' without a name, expected 'policy NAME [KEY=VALUE]...'");
            }
            if (policy != null) {
                throw error("second 'policy' line (the first is line " + policyLine + "), expected one");
            }
            String name = name(w[1], "policy name");
            for (int i = 2; i < w.length; i++) {
                int eq = w[i].indexOf('=');
                if (eq <= 0) {
                    throw error("policy option " + quote(w[i]) + ", expected KEY=VALUE");
                }
                String key = w[i].substring(0, eq);
                if (options.putIfAbsent(key, w[i].substring(eq + 1)) != null) {
                    throw error("policy option " + quote(key) + " given twice, expected each option once");
                }
            }
            policy = name;
            policyLine = line;
        }

        private void passthrough(String[] w) {
            if (w.length < 3) {
                throw error("'passthrough' needs a name and an address, expected "
                        + "'passthrough NAME DDDD:BB:DD.F flags=FLAGS bars=BARS'");
            }
            String name = name(w[1], "device name");
            PciAddress address;
            if (w[2].length() > "0000:00:00.0".length()) {
                throw error("PCI address " + quote(w[2]) + ": expected DDDD:BB:DD.F in lower-case hex, e.g. 0000:01:00.0");
            }
            try {
                address = PciAddress.parse(w[2]);
            } catch (IllegalArgumentException e) {
                throw error(e.getMessage());
            }
            Set<MigrationFlag> flags = null;
            List<PciBar> bars = null;
            for (int i = 3; i < w.length; i++) {
                if (w[i].startsWith("flags=")) {
                    if (flags != null) {
                        throw error("flags= given twice, expected it once");
                    }
                    flags = flags(w[i].substring("flags=".length()));
                } else if (w[i].startsWith("bars=")) {
                    if (bars != null) {
                        throw error("bars= given twice, expected it once");
                    }
                    bars = bars(w[i].substring("bars=".length()));
                } else {
                    throw error("unknown word " + quote(w[i]) + " for passthrough " + abbreviate(name) + ", expected flags=FLAGS or "
                            + "bars=BARS");
                }
            }
            if (flags == null) {
                throw error("passthrough " + abbreviate(name) + " has no flags=, expected e.g. flags=STOP_COPY,P2P (or flags=none)");
            }
            if (bars == null) {
                throw error("passthrough " + abbreviate(name) + " has no bars=, expected e.g. bars=0:0x4000,2:0x1000");
            }
            Integer first = addressLines.putIfAbsent(address, line);
            if (first != null) {
                throw error("address " + address + " already declared at line " + first
                        + ", expected each passthrough address once");
            }
            uniqueName(name);
            passthrough.add(PassthroughSpec.declared(name, address, flags, bars));
        }

        private Set<MigrationFlag> flags(String text) {
            EnumSet<MigrationFlag> set = EnumSet.noneOf(MigrationFlag.class);
            if (text.equalsIgnoreCase("none")) {
                return set;
            }
            for (String part : text.split(",", -1)) {
                MigrationFlag flag = part.equals(part.trim()) ? MigrationFlag.named(part) : null;
                if (flag == null) {
                    throw error("unknown flag " + quote(part) + " in flags=" + abbreviate(text)
                            + ", expected a comma-separated list of STOP_COPY, P2P, PRE_COPY (or none)");
                }
                if (!set.add(flag)) {
                    throw error("flag " + flag + " given twice in flags=" + abbreviate(text) + ", expected each flag once");
                }
            }
            return set;
        }

        private List<PciBar> bars(String text) {
            List<PciBar> bars = new ArrayList<>();
            for (String part : text.split(",", -1)) {
                int colon = part.indexOf(':');
                if (colon < 0) {
                    throw error("BAR " + quote(part) + " in bars=" + abbreviate(text) + ", expected INDEX:SIZE, e.g. 0:0x4000");
                }
                String index = part.substring(0, colon);
                if (!index.matches("[0-5]")) {
                    throw error("BAR index " + quote(index) + " in bars=" + abbreviate(text) + ", expected 0 to 5");
                }
                int i = Integer.parseInt(index);
                long size = size(part.substring(colon + 1), text);
                if (size <= 0 || Long.bitCount(size) != 1) {
                    throw error("BAR " + i + " size " + abbreviate(part.substring(colon + 1)) + " is not a power of two, expected "
                            + "a power of two (a BAR decodes a naturally aligned power-of-two window)");
                }
                for (PciBar b : bars) {
                    if (b.index() == i) {
                        throw error("BAR " + i + " given twice in bars=" + abbreviate(text) + ", expected each index once");
                    }
                }
                bars.add(new PciBar(i, size));
            }
            bars.sort((a, b) -> Integer.compare(a.index(), b.index()));
            return bars;
        }

        private long size(String text, String bars) {
            var m = SIZE.matcher(text);
            String expected = ", expected a size in decimal or 0x hex, optionally with K, M or G, e.g. 0x4000 or 16K";
            if (!m.matches()) {
                throw error("BAR size " + quote(text) + " in bars=" + abbreviate(bars) + expected);
            }
            int shift = switch (m.group(2)) {
                case "K" -> 10;
                case "M" -> 20;
                case "G" -> 30;
                default -> 0;
            };
            try {
                String digits = m.group(1);
                long value = digits.startsWith("0x") ? Long.parseLong(digits.substring(2), 16) : Long.parseLong(digits);
                if (value > (Long.MAX_VALUE >> shift)) {
                    throw new NumberFormatException();
                }
                return value << shift;
            } catch (NumberFormatException e) {
                throw error("BAR size " + quote(text) + " in bars=" + abbreviate(bars) + " is too large" + expected);
            }
        }

        private String name(String text, String what) {
            if (!NAME.matcher(text).matches()) {
                throw error(what + " " + quote(text) + ", expected a letter or digit followed by letters, digits, '.', "
                        + "'_' or '-'");
            }
            return text;
        }

        private String uniqueName(String text) {
            name(text, "device name");
            Integer first = nameLines.putIfAbsent(text, line);
            if (first != null) {
                throw error("device name " + quote(text) + " already used at line " + first
                        + ", expected unique device names");
            }
            return text;
        }
    }
}
