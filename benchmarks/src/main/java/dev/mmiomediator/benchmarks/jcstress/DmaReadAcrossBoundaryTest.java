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
 * An 8-byte DMA read at 4 straddles the A1/A2 (or B1/B2) boundary at 8, so it is done in two pieces; both must
 * come from one view: all A or all B, never 4 bytes of each.
 */
@JCStressTest
@Description("8-byte DmaPort read across a section boundary while both sections switch in one transaction")
@Outcome(id = "1111111111111111", expect = ACCEPTABLE, desc = "old topology: all of RAM A")
@Outcome(id = "2222222222222222", expect = ACCEPTABLE, desc = "new topology: all of RAM B")
@Outcome(expect = FORBIDDEN, desc = "pieces from two views, or an access error")
@State
public class DmaReadAcrossBoundaryTest {
    private final FlipTopology t = new FlipTopology();

    @Actor
    public void topology() {
        t.flip();
    }

    @Actor
    public void dma(L_Result r) {
        long v = t.device.read(4, 8);
        int res = t.device.result();
        r.r1 = res == MemTxResult.OK ? Long.toHexString(v) : Long.toHexString(v) + " result=" + res;
    }
}
