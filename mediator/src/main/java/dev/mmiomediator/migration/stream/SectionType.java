package dev.mmiomediator.migration.stream;

/** The section types of a migration stream, with their type byte and the name messages use. */
enum SectionType {
    HEADER(1, "header"),
    DEVICE_STATE(2, "device-state"),
    RAM(3, "ram"),
    QUEUED_WRITES(4, "queued-writes"),
    END(5, "end");

    private static final SectionType[] BY_CODE = new SectionType[6];

    static {
        for (SectionType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    final int code;
    final String label;

    SectionType(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The type with type byte {@code code}, or null if there is none. */
    static SectionType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** {@code 1 header, 2 device-state, ...}, for messages about an unknown type. */
    static String known() {
        StringBuilder sb = new StringBuilder();
        for (SectionType t : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(t.code).append(' ').append(t.label);
        }
        return sb.toString();
    }
}
