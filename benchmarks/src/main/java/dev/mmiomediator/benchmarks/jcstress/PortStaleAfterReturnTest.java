package dev.mmiomediator.benchmarks.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.mmiomediator.dma.MemTxResult;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

/**
 * A commit that has returned is seen by the next access of every port, even one whose last-hit section was filled
 * from the old view: the committing thread flips the topology and then raises a volatile flag; the port's thread
 * reads once (so its last-hit fields hold a section of whichever view it saw), reads the flag, and reads again. When
 * it saw the flag, the second read must come from the new view (all B), never from the old view or its cached hit.
 */
@JCStressTest
@Description("DmaPort access after a commit has returned (seen through a volatile flag): never the old view")
@Outcome(id = {"0, 1111111111111111", "0, 2222222222222222"}, expect = ACCEPTABLE,
        desc = "flag not yet seen: either view")
@Outcome(id = "1, 2222222222222222", expect = ACCEPTABLE, desc = "flag seen: the new view")
@Outcome(id = "1, 1111111111111111", expect = FORBIDDEN, desc = "stale: the old view after the commit returned")
@Outcome(expect = FORBIDDEN, desc = "pieces from two views, or an access error")
@State
public class PortStaleAfterReturnTest {
    private final FlipTopology t = new FlipTopology();
    private volatile boolean committed;

    @Actor
    public void topology() {
        t.flip();
        committed = true;
    }

    @Actor
    public void dma(LL_Result r) {
        t.device.read(0, 8); // fills the port's last-hit fields from whichever view it sees now
        boolean seen = committed;
        long v = t.device.read(0, 8);
        int res = t.device.result();
        r.r1 = seen ? 1 : 0;
        r.r2 = res == MemTxResult.OK ? Long.toHexString(v) : Long.toHexString(v) + " result=" + res;
    }
}
