package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which of a dump's address spaces are vCPU views, by name. A vCPU reaches passthrough BARs directly; every
 * other address space (a PCI function's bus-master space, an IOMMU's, a DMA engine's) belongs to a DMA
 * initiator whose accesses to a BAR the mediator turns into P2P sections.
 *
 * <p>The {@linkplain #defaults() defaults} are QEMU's names: {@code memory} and {@code I/O} (the system address
 * spaces), {@code cpu-memory-N} and {@code cpu-smm-N} (x86 vCPUs, normal and SMM), {@code KVM-SMRAM} (KVM's SMM
 * view), and Arm's other per-vCPU spaces {@code cpu-secure-memory-N} and {@code cpu-tag-memory[-secure]-N}.
 *
 * <p>Immutable and thread-safe; the {@code plus} methods return a new instance.
 */
public final class VcpuSpaces {
    private static final VcpuSpaces NONE = new VcpuSpaces(List.of(), List.of());
    private static final VcpuSpaces DEFAULTS = NONE.plusName("memory").plusName("I/O").plusName("KVM-SMRAM")
            .plusPattern("cpu-memory-.*").plusPattern("cpu-smm-.*")
            .plusPattern("cpu-secure-memory-.*").plusPattern("cpu-tag-memory-.*");

    private final List<String> names;
    private final List<Pattern> patterns;

    private VcpuSpaces(List<String> names, List<Pattern> patterns) {
        this.names = List.copyOf(names);
        this.patterns = List.copyOf(patterns);
    }

    /** QEMU's vCPU address space names (see the class documentation). */
    public static VcpuSpaces defaults() {
        return DEFAULTS;
    }

    /** No vCPU address space: every address space is a DMA initiator's. */
    public static VcpuSpaces none() {
        return NONE;
    }

    /** These rules plus the exact name {@code name}. */
    public VcpuSpaces plusName(String name) {
        Objects.requireNonNull(name, "name");
        List<String> n = new ArrayList<>(names);
        n.add(name);
        return new VcpuSpaces(n, patterns);
    }

    /**
     * These rules plus every name that {@code regex} matches as a whole.
     *
     * @throws IllegalArgumentException naming the expression if it is not a valid Java regular expression
     */
    public VcpuSpaces plusPattern(String regex) {
        Objects.requireNonNull(regex, "regex");
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("vCPU address space pattern '" + regex + "': not a regular expression ("
                    + e.getDescription() + " at index " + e.getIndex() + ")");
        }
        List<Pattern> ps = new ArrayList<>(patterns);
        ps.add(p);
        return new VcpuSpaces(names, ps);
    }

    /** Whether the address space named {@code name} is a vCPU view. */
    public boolean isVcpu(String name) {
        if (names.contains(name)) {
            return true;
        }
        for (Pattern p : patterns) {
            if (p.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The rules, names first then {@code /patterns/}, comma-separated; {@code (none)} when there is none. */
    @Override
    public String toString() {
        List<String> all = new ArrayList<>(names);
        patterns.forEach(p -> all.add("/" + p.pattern() + "/"));
        return all.isEmpty() ? "(none)" : String.join(", ", all);
    }
}
