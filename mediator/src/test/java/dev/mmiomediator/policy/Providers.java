package dev.mmiomediator.policy;

import java.util.Map;

/**
 * Provider classes for the discovery tests, each a way a policy jar's provider can be right or wrong. They are
 * loaded through {@link ServiceFiles#isolated}, a fresh copy per test, so a static initializer runs (or fails) anew
 * and {@link ProviderLog} shows which ones ran.
 */
public final class Providers {
    private Providers() {
    }

    private static P2pPolicy forwarding(String name) {
        return RulePolicy.builder(name).otherwise(Decision.FORWARD).build();
    }

    /** Declares its name and description, overrides neither. */
    @PolicyInfo(name = "alpha", description = "declared alpha")
    public static final class Alpha implements PolicyProvider {
        static {
            ProviderLog.initialized("alpha");
        }

        public Alpha() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("alpha");
        }
    }

    /** Declares its name and description and overrides both with the same values. */
    @PolicyInfo(name = "beta-2", description = "declared beta")
    public static final class Beta implements PolicyProvider {
        static {
            ProviderLog.initialized("beta-2");
        }

        public Beta() {
        }

        @Override
        public String name() {
            return "beta-2";
        }

        @Override
        public String description() {
            return "declared beta";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            if (options.containsKey("bad")) {
                throw new IllegalArgumentException("policy 'beta-2': unknown option bad");
            }
            return forwarding("beta-2");
        }
    }

    /** Declares nothing: says its name only by running. */
    public static final class Undeclared implements PolicyProvider {
        static {
            ProviderLog.initialized("undeclared");
        }

        public Undeclared() {
        }

        @Override
        public String name() {
            return "undeclared";
        }

        @Override
        public String description() {
            return "undeclared provider";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("undeclared");
        }
    }

    /** Declares nothing and claims {@link Alpha}'s name. */
    public static final class AlsoAlpha implements PolicyProvider {
        public AlsoAlpha() {
        }

        @Override
        public String name() {
            return "alpha";
        }

        @Override
        public String description() {
            return "a second alpha";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("alpha");
        }
    }

    /** Declares {@link Alpha}'s name too. */
    @PolicyInfo(name = "alpha", description = "another declared alpha")
    public static final class DeclaredAlphaTwice implements PolicyProvider {
        public DeclaredAlphaTwice() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("alpha");
        }
    }

    /** Not abstract, not a provider. */
    public static final class NotAProvider {
        public NotAProvider() {
        }
    }

    /** Abstract. */
    public abstract static class Abstract implements PolicyProvider {
        public Abstract() {
        }
    }

    /** Not public. */
    static final class Hidden implements PolicyProvider {
        public Hidden() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("hidden");
        }
    }

    /** No constructor without arguments. */
    public static final class NeedsArgument implements PolicyProvider {
        public NeedsArgument(int x) {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("needs-argument");
        }
    }

    /** A type {@link ServiceFiles#isolated} can refuse to load, to break the classes that name it. */
    public static final class Missing {
        private Missing() {
        }
    }

    /** A constructor naming {@link Missing}: cannot be linked when it is missing. */
    @PolicyInfo(name = "links-missing", description = "names a missing class")
    public static final class LinksMissing implements PolicyProvider {
        public LinksMissing() {
        }

        public LinksMissing(Missing m) {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("links-missing");
        }
    }

    /** A base class; {@link ExtendsMissing} cannot even be loaded without it. */
    public abstract static class MissingBase {
        protected MissingBase() {
        }
    }

    /** Extends {@link MissingBase}. */
    @PolicyInfo(name = "extends-missing", description = "extends a missing class")
    public static final class ExtendsMissing extends MissingBase implements PolicyProvider {
        public ExtendsMissing() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("extends-missing");
        }
    }

    /** Declares a name that is not lower-case words. */
    @PolicyInfo(name = "Bad Name", description = "bad name")
    public static final class BadName implements PolicyProvider {
        public BadName() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("bad");
        }
    }

    /** Its static initializer throws a runtime exception. */
    @PolicyInfo(name = "static-throws", description = "static initializer throws")
    public static final class StaticThrows implements PolicyProvider {
        static {
            ProviderLog.initialized("static-throws");
            if (Boolean.TRUE) {
                throw new IllegalStateException("boom in\n  static init");
            }
        }

        public StaticThrows() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("static-throws");
        }
    }

    /** Its static initializer throws an error, which reaches the caller unwrapped. */
    @PolicyInfo(name = "static-error", description = "static initializer throws an error")
    public static final class StaticError implements PolicyProvider {
        static {
            if (Boolean.TRUE) {
                throw new AssertionError("static boom");
            }
        }

        public StaticError() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("static-error");
        }
    }

    /** Its constructor throws. */
    @PolicyInfo(name = "constructor-throws", description = "constructor throws")
    public static final class ConstructorThrows implements PolicyProvider {
        public ConstructorThrows() {
            throw new UnsupportedOperationException("no instances");
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("constructor-throws");
        }
    }

    /** Declares one name, says another. */
    @PolicyInfo(name = "declared-name", description = "d")
    public static final class NameContradicts implements PolicyProvider {
        public NameContradicts() {
        }

        @Override
        public String name() {
            return "other-name";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("other-name");
        }
    }

    /** Declares one description, says another. */
    @PolicyInfo(name = "description-contradicts", description = "declared")
    public static final class DescriptionContradicts implements PolicyProvider {
        public DescriptionContradicts() {
        }

        @Override
        public String description() {
            return "said";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("description-contradicts");
        }
    }

    /** name() throws. */
    public static final class NameThrows implements PolicyProvider {
        public NameThrows() {
        }

        @Override
        public String name() {
            throw new IllegalStateException("no name");
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("x");
        }
    }

    /** name() returns null. */
    public static final class NameNull implements PolicyProvider {
        public NameNull() {
        }

        @Override
        public String name() {
            return null;
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("x");
        }
    }

    /** description() throws an error. */
    public static final class DescriptionThrows implements PolicyProvider {
        public DescriptionThrows() {
        }

        @Override
        public String name() {
            return "description-throws";
        }

        @Override
        public String description() {
            throw new AssertionError("no description");
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("description-throws");
        }
    }

    /** description() returns null. */
    public static final class DescriptionNull implements PolicyProvider {
        public DescriptionNull() {
        }

        @Override
        public String name() {
            return "description-null";
        }

        @Override
        public String description() {
            return null;
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("description-null");
        }
    }

    /** Overrides neither name() nor description() and declares nothing. */
    public static final class SaysNothing implements PolicyProvider {
        public SaysNothing() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return forwarding("says-nothing");
        }
    }

    /** create() fails as its option {@code fail} says; succeeds without it. */
    @PolicyInfo(name = "create-fails", description = "create fails as asked")
    public static final class CreateFails implements PolicyProvider {
        public CreateFails() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            switch (options.getOrDefault("fail", "")) {
                case "throw":
                    throw new UnsupportedOperationException("todo");
                case "error":
                    throw new AssertionError("create\r\n  broke");
                case "vm":
                    throw new OutOfMemoryError("simulated");
                case "null":
                    return null;
                case "wrapped":
                    throw new IllegalStateException("outer", new java.io.IOException("inner"));
                case "wrapped-bare":
                    throw new IllegalStateException("outer", new java.io.IOException());
                case "bare":
                    throw new IllegalStateException((String) null);
                default:
                    return forwarding("create-fails");
            }
        }
    }
}
