package dev.loomstep.devserver.store;

/** A run's status, spelled as the Inngest REST API spells it. */
public enum RunStatus {
    Running, Completed, Failed, Cancelled;

    public boolean finished() {
        return this != Running;
    }

    /** Parses a status case-insensitively, or returns null. */
    public static RunStatus parse(String text) {
        for (RunStatus s : values()) {
            if (s.name().equalsIgnoreCase(text)) {
                return s;
            }
        }
        return null;
    }
}
