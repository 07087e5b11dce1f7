package dev.mmiomediator.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-ins are found through ServiceLoader by name. */
class BuiltinPoliciesTest {
    private final ClassLoader loader = BuiltinPoliciesTest.class.getClassLoader();

    @Test
    void availableListsTheBuiltinsByName() {
        assertEquals(List.of("example-nic-first", "fail-always", "require-p2p"),
                Policies.available(loader).stream().map(PolicyProvider::name).toList());
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
    void unknownNameListsTheBuiltins() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.find("queue-and-replay", loader));
        assertEquals("unknown policy 'queue-and-replay': expected one of example-nic-first, fail-always, "
                + "require-p2p", e.getMessage());
    }

    @Test
    void optionsAreRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("fail-always", Map.of("log", "off"), loader));
        assertEquals("policy 'fail-always' takes no options, got {log=off}", e.getMessage());
    }
}
