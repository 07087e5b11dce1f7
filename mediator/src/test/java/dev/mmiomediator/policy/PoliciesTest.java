package dev.mmiomediator.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** ServiceLoader discovery, with the test provider listed in this module's test resources. */
class PoliciesTest {
    private final ClassLoader loader = PoliciesTest.class.getClassLoader();

    /** A provider registered in src/test/resources/META-INF/services. */
    public static final class TestProvider implements PolicyProvider {
        /** For ServiceLoader. */
        public TestProvider() {
        }

        @Override
        public String name() {
            return "test-forward";
        }

        @Override
        public String description() {
            return "forwards everything";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return RulePolicy.builder(name()).otherwise(Decision.FORWARD).build();
        }
    }

    @Test
    void findsAProviderByName() {
        assertEquals("test-forward", Policies.find("test-forward", loader).create(Map.of()).name());
    }

    @Test
    void unknownNameIsRefusedListingTheNamesFound() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.find("nope", loader));
        assertEquals("unknown policy 'nope': expected one of test-forward", e.getMessage());
    }
}
