package dev.mmiomediator.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEntry;
import dev.mmiomediator.policy.PolicyProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-ins are found through ServiceLoader by name. */
class BuiltinPoliciesTest {
    private final ClassLoader loader = BuiltinPoliciesTest.class.getClassLoader();

    @Test
    void availableListsTheBuiltinsByName() {
        assertEquals(List.of("abort-migration", "example-nic-first", "fail-always", "queue-and-replay", "require-p2p"),
                Policies.available(loader).stream().map(PolicyProvider::name).toList());
    }

    @Test
    void everyBuiltinDeclaresTheNameAndDescriptionItsProviderReturns() {
        List<PolicyEntry> entries = Policies.describe(loader);
        List<PolicyProvider> providers = Policies.available(loader);
        assertEquals(providers.size(), entries.size());
        for (int i = 0; i < entries.size(); i++) {
            PolicyEntry e = entries.get(i);
            assertEquals(true, e.declared(), e.toString());
            assertEquals(providers.get(i).name(), e.name());
            assertEquals(providers.get(i).description(), e.description());
            assertEquals(providers.get(i).getClass().getName(), e.providerClass());
        }
    }

    @Test
    void failAlwaysIsFoundByName() {
        assertInstanceOf(FailAlwaysPolicy.class, Policies.create("fail-always", Map.of(), loader));
    }

    @Test
    void requireP2pIsFoundByName() {
        assertInstanceOf(RequireP2pPolicy.class, Policies.create("require-p2p", Map.of(), loader));
    }

    @Test
    void abortMigrationIsFoundByName() {
        assertInstanceOf(AbortMigrationPolicy.class, Policies.create("abort-migration", Map.of(), loader));
    }

    @Test
    void queueAndReplayTakesTheReadFallback() {
        QueueAndReplayPolicy p = assertInstanceOf(QueueAndReplayPolicy.class,
                Policies.create("queue-and-replay", Map.of(), loader));
        assertEquals(QueueAndReplayPolicy.ReadFallback.ABORT, p.readFallback());
        p = (QueueAndReplayPolicy) Policies.create("queue-and-replay", Map.of("read-fallback", "fail"), loader);
        assertEquals(QueueAndReplayPolicy.ReadFallback.FAIL, p.readFallback());
    }

    @Test
    void queueAndReplayRefusesBadOptionsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("queue-and-replay", Map.of("read-fallback", "wait"), loader));
        assertEquals("policy 'queue-and-replay': read-fallback=wait, expected abort or fail", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("queue-and-replay", Map.of("depth", "9"), loader));
        assertEquals("policy 'queue-and-replay' takes only option 'read-fallback', got {depth=9}", e.getMessage());
    }

    @Test
    void unknownNameListsTheBuiltins() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.find("queue-replay", loader));
        assertEquals("unknown policy 'queue-replay': expected one of abort-migration, example-nic-first, "
                + "fail-always, queue-and-replay, require-p2p", e.getMessage());
    }

    @Test
    void optionsAreRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("fail-always", Map.of("log", "off"), loader));
        assertEquals("policy 'fail-always' takes no options, got {log=off}", e.getMessage());
    }
}
