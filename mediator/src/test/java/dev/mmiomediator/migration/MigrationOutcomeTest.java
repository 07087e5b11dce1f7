package dev.mmiomediator.migration;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MigrationOutcomeTest {
    @Test
    void reportsPrintEachOutcomeAsTheLowercaseWordTheyAlwaysPrinted() {
        assertEquals(List.of("completed", "aborted", "refused", "blocked"),
                Arrays.stream(MigrationOutcome.values()).map(MigrationOutcome::word).toList());
    }

    @Test
    void onlyACompletedResultCountsAsCompleted() {
        for (MigrationOutcome o : MigrationOutcome.values()) {
            MigrationResult r = new MigrationResult(o, "", Map.of(), 0, 0, 0);
            assertEquals(o == MigrationOutcome.COMPLETED, r.completed(), o.word());
        }
    }
}
