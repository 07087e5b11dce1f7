package dev.mmiomediator.benchmarks.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.memory.MemorySystem;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * A view published by a commit is fully built when another thread sees it: the device view read once is
 * exactly the old one (A1, A2, C) or the new one (B1, B2; A1 and A2 disabled and C removed in one
 * transaction), with a search index that agrees with its sections.
 */
@JCStressTest
@Description("Mediator.view() after a commit: one of the two whole snapshots, never partly built")
@Outcome(id = FlipTopology.OLD_VIEW, expect = ACCEPTABLE, desc = "view before the commit")
@Outcome(id = FlipTopology.NEW_VIEW, expect = ACCEPTABLE, desc = "view after the commit")
@Outcome(expect = FORBIDDEN, desc = "a partly built or intermediate view")
@State
public class ViewPublicationTest {
    private static final Initiator DEVICE = Initiator.softwareDevice("dma");
    private final FlipTopology t = new FlipTopology();

    @Actor
    public void topology() {
        try (MemorySystem.Transaction tx = t.sys.begin()) {
            t.a1.setEnabled(false);
            t.a2.setEnabled(false);
            t.system.removeSubregion(t.c);
        }
    }

    @Actor
    public void observer(L_Result r) {
        r.r1 = FlipTopology.describe(t.mediator.view(DEVICE));
    }
}
