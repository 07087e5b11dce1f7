package dev.mmiomediator.benchmarks.jcstress;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Section;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.SparseRam;
import dev.mmiomediator.memory.Size;

/**
 * The topology every jcstress test here races against: {@code [0, 0x10)} shows RAM A (bytes 0x11) as two
 * 8-byte sections {@code A1} and {@code A2} (priority 1) over RAM B (bytes 0x22) as two sections {@code B1},
 * {@code B2} (priority 0); RAM {@code C} sits at 0x1000. {@link #flip()} disables A1 and A2 in one
 * transaction, so every address of {@code [0, 0x10)} turns from A to B in one commit.
 *
 * <p>One instance per jcstress state, so it must be cheap: the regions share two static, pre-filled backings
 * that are only ever read.
 */
final class FlipTopology {
    static final byte A = 0x11;
    static final byte B = 0x22;
    static final long SPAN = 0x10;
    private static final SparseRam A_MEM = filled(A);
    private static final SparseRam B_MEM = filled(B);

    /** The device view before {@link #flip()}: A1, A2 and C. */
    static final String OLD_VIEW = "A1@0-7 A2@8-f C@1000-10ff";
    /** The device view after {@link #flip()} and the removal of C: B1 and B2. */
    static final String NEW_VIEW = "B1@0-7 B2@8-f";

    final MemorySystem sys = new MemorySystem();
    final MemoryRegion system = sys.container("system", Size.of(0x10000));
    final MemoryRegion a1 = ram("A1", 8, A_MEM);
    final MemoryRegion a2 = ram("A2", 8, A_MEM);
    final MemoryRegion c = ram("C", 0x100, B_MEM);
    final Mediator mediator;
    final DmaPort device;

    FlipTopology() {
        system.addSubregion(ram("B1", 8, B_MEM), 0, 0);
        system.addSubregion(ram("B2", 8, B_MEM), 8, 0);
        system.addSubregion(a1, 0, 1);
        system.addSubregion(a2, 8, 1);
        system.addSubregion(c, 0x1000, 0);
        mediator = new Mediator(sys.addressSpace("memory", system));
        device = mediator.port(Initiator.softwareDevice("dma"));
    }

    private static SparseRam filled(byte value) {
        SparseRam ram = new SparseRam(0x100);
        for (int i = 0; i < 0x100; i++) {
            ram.write(i, 1, value);
        }
        return ram;
    }

    private MemoryRegion ram(String name, long size, SparseRam backing) {
        MemoryRegion r = sys.ram(name, Size.of(size));
        r.setRamBacking(backing);
        return r;
    }

    /** A1 and A2 off in one transaction: one commit, one published view. */
    void flip() {
        try (MemorySystem.Transaction tx = sys.begin()) {
            a1.setEnabled(false);
            a2.setEnabled(false);
        }
    }

    /** "all-11", "all-22", or the bytes in hex when they mix. */
    static String classify(byte[] got) {
        boolean allA = true;
        boolean allB = true;
        for (byte x : got) {
            allA &= x == A;
            allB &= x == B;
        }
        if (allA) {
            return "all-11";
        }
        if (allB) {
            return "all-22";
        }
        StringBuilder sb = new StringBuilder("mixed:");
        for (byte x : got) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    /**
     * The sections of {@code v} as "NAME@START-LAST ...", checking on the way that the view's index finds each
     * section at its own start and last address (so the keys array is as built as the sections array).
     */
    static String describe(MediatedView v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.size(); i++) {
            Section s = v.section(i);
            if (v.indexOf(s.start()) != i || v.indexOf(s.last()) != i) {
                return "index-broken@" + i;
            }
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(s.region().name()).append('@').append(Long.toHexString(s.start())).append('-')
                    .append(Long.toHexString(s.last()));
        }
        return sb.toString();
    }
}
