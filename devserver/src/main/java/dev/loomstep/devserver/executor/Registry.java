package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.flow.ConfigChecks;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The synced apps and functions: saved in the store, cached in memory for trigger matching (every
 * event looks at every function).
 */
public final class Registry {
    private final Store store;
    private volatile Map<String, FunctionRecord> functions = Map.of();

    public Registry(Store store) {
        this.store = store;
        reload();
    }

    public void reload() {
        var byId = new LinkedHashMap<String, FunctionRecord>();
        for (FunctionRecord f : store.functions()) {
            byId.put(f.id(), f);
        }
        functions = byId;
    }

    public FunctionRecord function(String id) {
        return id == null ? null : functions.get(id);
    }

    public Collection<FunctionRecord> functions() {
        return functions.values();
    }

    /** A validated sync: the app and its functions. */
    public record Sync(AppRecord app, List<FunctionRecord> functions) {}

    /**
     * Reads function configs without turning numbers or booleans into strings: a trigger {@code {"event": 1}}
     * is a broken sync, refused with its reason, not a function triggered by the event "1".
     */
    private static final ObjectMapper STRICT = strictMapper();

    private static ObjectMapper strictMapper() {
        ObjectMapper m = Json.mapper().copy();
        // Inngest reads the config with Go's encoding/json, which matches keys in any case, and inngestgo 0.16
        // relies on it: it syncs "Singleton" (its field has no JSON name). Read as Inngest does, not dropped.
        m.setConfig(m.getDeserializationConfig().with(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES));
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return m;
    }

    /**
     * Reads and validates a {@code POST /fn/register} body. Lenient where SDKs differ (a bare number for
     * {@code concurrency}, unknown fields); strict where the executor needs an answer (app name, function
     * ids, a call URL per function).
     *
     * @throws IllegalArgumentException with a one-line reason the SDK shows its user
     */
    public static Sync parseSync(JsonNode body, long now) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("the sync body must be a JSON object (the SDK's register request)");
        }
        body = withAppName(body);
        String appName = string(body, "appName", "the sync body");
        String url = string(body, "url", "the sync body of app \"" + appName + "\"");
        // The devserver calls this URL for every run: anything but an absolute http(s) URL would fail each call later.
        if (!url.matches("https?://[^\\s/?#]+.*")) {
            throw new IllegalArgumentException("the \"url\" of app \"" + appName + "\" must be an http:// or https:// URL, got \""
                    + abbreviate(url) + "\"");
        }
        var records = functions(appName, body.get("functions"), false, now);
        String sdk = text(body, "sdk");
        return new Sync(new AppRecord(appName, url, sdk, text(body, "framework"), text(body, "appVersion"), now), records);
    }

    /**
     * Reads and validates the app a Connect worker carries in its WORKER_CONNECT: the same function
     * configs an HTTP sync sends, whose call URLs are the worker's {@code ws://}/{@code wss://}
     * placeholders. The app is saved with no URL ({@link AppRecord#connect()}): it is only ever called
     * through the gateway.
     *
     * @throws IllegalArgumentException with a one-line reason (sent back to the worker as SYNC_FAILED)
     */
    public static Sync parseConnectSync(String appName, String appVersion, JsonNode functions, String sdk, String framework, long now) {
        if (appName == null || appName.isBlank()) {
            throw new IllegalArgumentException("a Connect app must have a non-empty name");
        }
        var records = functions(appName, functions, true, now);
        return new Sync(new AppRecord(appName, AppRecord.CONNECT, sdk, framework,
                appVersion == null || appVersion.isBlank() ? null : appVersion, now), records);
    }

    /** Whether a function's call URL says it is served through a Connect worker. */
    public static boolean isConnectUrl(String url) {
        return url != null && (url.startsWith("ws://") || url.startsWith("wss://"));
    }

    private static List<FunctionRecord> functions(String appName, JsonNode fns, boolean connect, long now) {
        if (fns != null && !fns.isNull() && !fns.isArray()) {
            throw new IllegalArgumentException("\"functions\" of app \"" + appName + "\" must be an array");
        }
        var records = new ArrayList<FunctionRecord>();
        Set<String> seen = new HashSet<>();
        if (fns != null && fns.isArray()) {
            for (JsonNode fn : fns) {
                FunctionConfig config = functionConfig(appName, fn, connect);
                if (!seen.add(config.id())) {
                    throw new IllegalArgumentException("app \"" + appName + "\" syncs the function id \"" + config.id() + "\" twice");
                }
                records.add(new FunctionRecord(config.id(), appName, config, now));
            }
        }
        return records;
    }

    /**
     * Concurrency as our record takes it, a list of {@code {limit, key, scope}}, from what SDKs send: a
     * number, one object or a list (JS), or inngestgo's {@code {"fn": [...], "step": [...]}} with scopes
     * spelled {@code "Fn"} (Inngest reads both shapes and scopes in any case). A {@code fn} limit (Inngest:
     * held for the whole run) is kept as a per-call limit like the others: see the devserver README.
     */
    static JsonNode concurrencyList(JsonNode c) {
        if (c == null || c.isNull()) {
            return null;
        }
        ArrayNode list = Json.nodes().arrayNode();
        if (c.isNumber()) {
            list.addObject().put("limit", c.asInt());
        } else if (c.isObject() && (c.has("fn") || c.has("step"))) {
            for (String part : new String[] {"fn", "step"}) {
                JsonNode limits = c.get(part);
                if (limits != null && limits.isArray()) {
                    limits.forEach(list::add);
                } else if (limits != null && !limits.isNull()) {
                    throw new IllegalArgumentException("concurrency." + part + " must be a list of limits, got " + limits);
                }
            }
        } else if (c.isObject()) {
            list.add(c);
        } else if (c.isArray()) {
            c.forEach(list::add);
        } else {
            return c; // not a shape SDKs send: the strict read below says why
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof ObjectNode limit && limit.get("scope") != null && limit.get("scope").isTextual()) {
                limit.put("scope", limit.get("scope").asText().toLowerCase(Locale.ROOT));
            }
        }
        return list;
    }

    private static FunctionConfig functionConfig(String appName, JsonNode fn, boolean connect) {
        if (!fn.isObject()) {
            throw new IllegalArgumentException("app \"" + appName + "\": every function must be a JSON object");
        }
        String id = string(fn, "id", "app \"" + appName + "\": a function");
        ObjectNode copy = ((ObjectNode) fn).deepCopy();
        JsonNode concurrency = concurrencyList(copy.get("concurrency"));
        if (concurrency != null) {
            copy.set("concurrency", concurrency);
        }
        FunctionConfig config;
        try {
            config = STRICT.treeToValue(copy, FunctionConfig.class);
        } catch (Exception e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("function \"" + id + "\" of app \"" + appName + "\" has an invalid config: "
                    + (why == null ? e.getClass().getSimpleName() : why.lines().findFirst().orElse(why)));
        }
        try {
            ConfigChecks.validate(config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("app \"" + appName + "\": " + e.getMessage());
        }
        String callUrl = new FunctionRecord(id, appName, config, 0).url();
        if (callUrl == null) {
            throw new IllegalArgumentException("function \"" + id + "\" of app \"" + appName + "\" has no steps.step.runtime.url to call");
        }
        try {
            URI u = URI.create(callUrl);
            // A Connect app's functions are reached through the gateway; an HTTP app's never are.
            boolean usable = connect ? isConnectUrl(callUrl) : ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()));
            if (!usable || u.getHost() == null) {
                throw new IllegalArgumentException(connect ? "not ws(s)" : "not http(s)");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("function \"" + id + "\" of app \"" + appName + "\" has an unusable call URL \"" + callUrl + "\"");
        }
        return config;
    }

    /** A required field that must be a non-blank string; otherwise one line naming {@code where} and the field. */
    /**
     * The sync body with its app name under {@code appName}: the Python SDK sends it as {@code appname}, which
     * the Inngest server takes because Go's JSON decoding matches field names regardless of case.
     */
    public static JsonNode withAppName(JsonNode body) {
        if (body == null || !body.isObject() || body.has("appName")) {
            return body;
        }
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equalsIgnoreCase("appName")) {
                ObjectNode copy = ((ObjectNode) body).deepCopy();
                copy.set("appName", copy.remove(name));
                return copy;
            }
        }
        return body;
    }

    private static String string(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + " has no \"" + field + "\"");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a non-empty string, got "
                    + (v.isTextual() ? "a blank one" : v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return v.asText();
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || !v.isValueNode() || v.asText().isBlank() ? null : v.asText();
    }
}
