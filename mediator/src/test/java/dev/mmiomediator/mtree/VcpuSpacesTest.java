package dev.mmiomediator.mtree;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VcpuSpacesTest {
    @Test
    void defaultsAreQemusVcpuAddressSpaces() {
        for (String n : List.of("memory", "I/O", "cpu-memory-0", "cpu-memory-15", "cpu-smm-3", "KVM-SMRAM",
                "cpu-secure-memory-0", "cpu-tag-memory-1", "cpu-tag-memory-secure-1")) {
            assertTrue(VcpuSpaces.defaults().isVcpu(n), n);
        }
    }

    @Test
    void defaultsLeaveDeviceAddressSpacesOut() {
        for (String n : List.of("virtio-net-pci", "vfio-pci", "mch", "bus master container", "memory2", "io",
                "vtd-00.0", "cpu-memory")) {
            assertFalse(VcpuSpaces.defaults().isVcpu(n), n);
        }
    }

    @Test
    void patternMatchesTheWholeName() {
        VcpuSpaces v = VcpuSpaces.none().plusPattern("gpu-[0-9]");
        assertTrue(v.isVcpu("gpu-1"));
        assertFalse(v.isVcpu("my-gpu-1"));
        assertFalse(v.isVcpu("gpu-12"));
    }

    @Test
    void noneHasNoVcpuSpace() {
        assertFalse(VcpuSpaces.none().isVcpu("memory"));
    }

    @Test
    void addedNameIsAVcpuSpace() {
        assertTrue(VcpuSpaces.defaults().plusName("virtio-net-pci").isVcpu("virtio-net-pci"));
        assertFalse(VcpuSpaces.defaults().isVcpu("virtio-net-pci"), "plus returns a new instance");
    }

    @Test
    void invalidPatternIsRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VcpuSpaces.defaults().plusPattern("cpu-(["));
        assertTrue(e.getMessage().startsWith("vCPU address space pattern 'cpu-([': not a regular expression"),
                e.getMessage());
    }
}
