package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.Decision.ABORT_MIGRATION;
import static dev.mmiomediator.policy.Decision.FAIL;
import static dev.mmiomediator.policy.Decision.FORWARD;
import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.request;
import static dev.mmiomediator.policy.Requests.write;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.Initiator;
import org.junit.jupiter.api.Test;

/** Rules and rule policies: each matcher, first-match order, the otherwise decision, builder errors. */
class RulePolicyTest {
    private final RulePolicy policy = RulePolicy.builder("test")
            .when(Rule.device("0000:01:00.0").writes().targetAccepts()).then(FORWARD)
            .when(Rule.device("0000:01:00.0").writes()).then(ABORT_MIGRATION)
            .when(Rule.any().writes()).then(FORWARD)
            .otherwise(FAIL)
            .build();

    @Test
    void firstMatchingRuleDecides() {
        assertEquals(FORWARD, policy.decide(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void laterRuleDecidesWhenEarlierOnesDoNotMatch() {
        assertEquals(ABORT_MIGRATION, policy.decide(request(write(VIRTIO, NIC, 0, 0, 4), STOP)));
    }

    @Test
    void earlierRuleWinsOverLaterBroaderRule() {
        RulePolicy p = RulePolicy.builder("order").when(Rule.any().writes()).then(FAIL)
                .when(Rule.device("0000:02:00.0").writes()).then(FORWARD).otherwise(FORWARD).build();
        assertEquals(FAIL, p.decide(request(write(VIRTIO, GPU, 0, 0, 4), RUNNING)));
    }

    @Test
    void otherwiseAppliesWhenNoRuleMatches() {
        assertEquals(FAIL, policy.decide(request(read(VIRTIO, GPU, 0, 0, 4), RUNNING)));
    }

    @Test
    void buildWithoutOtherwiseIsRefusedNamingThePolicy() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RulePolicy.builder("mine").when(Rule.any()).then(FAIL).build());
        assertEquals("policy 'mine': no otherwise(...) decision: say what happens to an access no rule matches",
                e.getMessage());
    }

    @Test
    void emptyNameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RulePolicy.builder(""));
    }

    @Test
    void descriptionDefaultsToTheRulesSpelledOut() {
        RulePolicy p = RulePolicy.builder("d").when(Rule.device("0000:01:00.0").reads()).then(FORWARD)
                .otherwise(FAIL).build();
        assertEquals("rules: when device 0000:01:00.0 and reads then FORWARD; otherwise FAIL", p.description());
    }

    @Test
    void initiatorRuleMatchesById() {
        Rule r = Rule.initiator("virtio-net");
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(r.matches(request(write(Initiator.softwareDevice("nvme"), NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void initiatorKindRuleMatchesByKind() {
        Rule r = Rule.initiatorKind(Initiator.Kind.PASSTHROUGH_DEVICE);
        assertTrue(r.matches(request(write(Initiator.passthroughDevice(GPU), NIC, 0, 0, 4), RUNNING)));
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void barRuleMatchesTheIndex() {
        assertTrue(Rule.any().bar(2).matches(request(write(VIRTIO, NIC, 2, 0, 4), RUNNING)));
        assertFalse(Rule.any().bar(2).matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void barRuleRefusesBadIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rule.any().bar(6));
        assertEquals("BAR 6: expected an index from 0 to 5", e.getMessage());
    }

    @Test
    void offsetRangeMatchesOnlyAccessesWhollyInside() {
        Rule r = Rule.any().offsets(0x100, 0x200);
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0x1fc, 4), RUNNING)));
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0x1fe, 4), RUNNING)));
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0xfc, 4), RUNNING)));
    }

    @Test
    void offsetRangeRefusesEmptyRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rule.any().offsets(0x200, 0x200));
        assertEquals("BAR offset range [0x200, 0x200): expected 0 <= from < to", e.getMessage());
    }

    @Test
    void directionRulesSplitReadsAndWrites() {
        assertTrue(Rule.any().reads().matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(Rule.any().reads().matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void targetStateRulesUseTheRequestState() {
        assertTrue(Rule.any().targetAccepts().matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING_P2P)));
        assertTrue(Rule.any().targetRefuses().matches(request(read(VIRTIO, NIC, 0, 0, 4), STOP)));
        assertTrue(Rule.any().targetIn(STOP).matches(request(read(VIRTIO, NIC, 0, 0, 4), STOP)));
        assertFalse(Rule.any().targetIn(STOP).matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void phaseRuleMatchesThePhase() {
        P2pRequest r = new P2pRequest(write(VIRTIO, NIC, 0, 0, 4), STOP, false, MigrationPhase.DESTINATION_RESUMING);
        assertTrue(Rule.any().phase(MigrationPhase.DESTINATION_RESUMING).matches(r));
        assertFalse(Rule.any().phase(MigrationPhase.NONE).matches(r));
    }

    @Test
    void ruleToStringJoinsItsConditions() {
        assertEquals("device 0000:01:00.0 and writes and target accepts",
                Rule.device("0000:01:00.0").writes().targetAccepts().toString());
    }

    @Test
    void aPolicyListsItsRulesInOrderAndItsOtherwiseDecision() {
        assertEquals(3, policy.entries().size());
        assertEquals(ABORT_MIGRATION, policy.entries().get(1).decision());
        assertEquals("device 0000:01:00.0 and writes", policy.entries().get(1).rule().toString());
        assertEquals(FAIL, policy.otherwise());
        assertEquals("test", policy.name());
    }

    @Test
    void aPolicyReadsAsItsNameAndRules() {
        RulePolicy p = RulePolicy.builder("p").description("mine").when(Rule.any().reads()).then(FAIL)
                .otherwise(FORWARD).build();
        assertEquals("p (when reads then FAIL; otherwise FORWARD)", p.toString());
        assertEquals("mine", p.description(), "a given description replaces the spelled-out rules");
    }

    @Test
    void aNullNameIsRefusedSayingSo() {
        assertEquals("policy name 'null': expected a non-empty name",
                assertThrows(IllegalArgumentException.class, () -> RulePolicy.builder(null)).getMessage());
        assertEquals("policy name '': expected a non-empty name",
                assertThrows(IllegalArgumentException.class, () -> RulePolicy.builder("")).getMessage());
    }
}
