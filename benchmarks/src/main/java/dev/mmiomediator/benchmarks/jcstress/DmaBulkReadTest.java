package dev.mmiomediator.benchmarks.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.mmiomediator.dma.MemTxResult;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * A 16-byte bulk DMA read of {@code [0, 0x10)} covers two sections that both switch from RAM A to RAM B in
 * one transaction: it must read all A or all B.
 */
@JCStressTest
@Description("16-byte DmaPort bulk read over two sections that switch in one transaction")
@Outcome(id = "all-11", expect = ACCEPTABLE, desc = "old topology: all of RAM A")
@Outcome(id = "all-22", expect = ACCEPTABLE, desc = "new topology: all of RAM B")
@Outcome(expect = FORBIDDEN, desc = "bytes from two views, or an access error")
@State
public class DmaBulkReadTest {
    private final FlipTopology t = new FlipTopology();

    @Actor
    public void topology() {
        t.flip();
    }

    @Actor
    public void dma(L_Result r) {
        byte[] got = new byte[(int) FlipTopology.SPAN];
        int res = t.device.read(0, got, 0, got.length);
        r.r1 = res == MemTxResult.OK ? FlipTopology.classify(got) : "result=" + res;
    }
}
