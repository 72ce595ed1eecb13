package dev.loomstep.devserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads one metadata update ({@code {kind, op, values}}) as Inngest checks it, for the REST route and for
 * the metadata SDKs put on ops: a kind of at most 128 characters, {@code inngest.*} kinds only from the
 * list SDKs may write, an op of set, merge (the default), delete or add, values a JSON object of at most 64 KB.
 */
public final class MetadataChecks {
    private static final int MAX_KIND = 128;
    private static final long MAX_UPDATE_BYTES = 64 * 1024;
    private static final Set<String> OPS = Set.of("set", "merge", "delete", "add");
    /** The {@code inngest.*} kinds SDKs may write; the rest of that prefix is Inngest's own. */
    private static final Set<String> INNGEST_KINDS = Set.of("inngest.ai", "inngest.http", "inngest.http.timing",
            "inngest.response_headers", "inngest.warnings", "inngest.experiment", "inngest.score");

    /** An update that cannot be taken: {@code status} 400, or 413 when it is too big. */
    public static final class Invalid extends RuntimeException {
        private final int status;

        Invalid(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private MetadataChecks() {}

    /**
     * The update {@code u} (named {@code where} in messages) for a target: {@code stepHash} "" for the run,
     * else the step's hashed id, with its own id and index when the sender named them (null otherwise).
     */
    public static Store.MetadataUpdate read(JsonNode u, String where, String stepHash, String stepId, Integer stepIndex,
                                            Integer attempt) {
        if (u == null || !u.isObject()) {
            throw new Invalid(400, where + " is {\"kind\", \"op\", \"values\"}; got " + oneLine(u));
        }
        JsonNode kind = u.path("kind");
        if (!kind.isTextual() || kind.asText().isBlank()) {
            throw new Invalid(400, where + ".kind is a non-empty string (\"userland.<name>\" for your own); got " + oneLine(kind));
        }
        String k = kind.asText();
        if (k.length() > MAX_KIND) {
            throw new Invalid(400, where + ".kind is longer than " + MAX_KIND + " characters");
        }
        if (k.startsWith("inngest.") && !INNGEST_KINDS.contains(k)) {
            throw new Invalid(400, where + ".kind \"" + k + "\" is reserved: SDKs may write "
                    + String.join(", ", INNGEST_KINDS.stream().sorted().toList()) + " of the inngest.* kinds; use userland.<name> for your own");
        }
        JsonNode op = u.path("op");
        boolean absent = op.isMissingNode() || op.isNull();
        String o = absent ? "merge" : op.asText();
        if (!absent && !op.isTextual() || !OPS.contains(o)) {
            throw new Invalid(400, where + ".op is one of set, merge, delete, add; got " + oneLine(op));
        }
        JsonNode values = u.path("values");
        if (!values.isObject()) {
            throw new Invalid(400, where + ".values is a JSON object; got " + oneLine(values));
        }
        long size = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
            var e = it.next();
            size += e.getKey().length() + Json.toBytes(e.getValue()).length;
        }
        if (size > MAX_UPDATE_BYTES) {
            throw new Invalid(413, "Metadata span exceeds maximum size of 64KB: " + where + " holds " + size + " bytes");
        }
        return new Store.MetadataUpdate(stepHash, stepId, stepIndex, attempt, k, o, (ObjectNode) values, size);
    }

    private static String oneLine(JsonNode n) {
        String s = n == null || n.isMissingNode() ? "nothing" : n.toString();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
