package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.Trigger;
import dev.loomstep.http.signing.SigningKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The app the HTTP tests serve, in dev or cloud mode, with keys the tests sign with. */
final class TestApps {
    static final String KEY = "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff";
    static final String FALLBACK = "signkey-test-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static final String STRANGER = "signkey-test-ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    static final SigningKey KEY_ = new SigningKey(KEY);
    static final SigningKey FALLBACK_ = new SigningKey(FALLBACK);
    static final SigningKey STRANGER_ = new SigningKey(STRANGER);

    /** How often step "a" of function "hello" has run, to prove refused calls run nothing. */
    final AtomicInteger stepRuns = new AtomicInteger();

    final Function<JsonNode, Object> hello = Function.builder("hello").name("Hello").trigger(Trigger.event("demo/hello"))
            .handler((input, step) -> {
                int a = step.run("a", Integer.class, () -> {
                    stepRuns.incrementAndGet();
                    return 1;
                });
                return Map.of("a", a, "user", input.event().data().path("user").asText());
            });

    final Function<JsonNode, Object> boom = Function.builder("boom").trigger(Trigger.event("demo/boom"))
            .handler((input, step) -> {
                throw new NonRetriableException("no way");
            });

    final Function<JsonNode, Object> busy = Function.builder("busy").trigger(Trigger.event("demo/busy"))
            .handler((input, step) -> {
                throw new RetryAfterException("try later", Duration.ofSeconds(30));
            });

    static Config dev(String apiOrigin) {
        return Config.from(Map.of("INNGEST_DEV", apiOrigin == null ? "1" : apiOrigin));
    }

    static Config cloud(String apiOrigin, String key, String fallback) {
        var env = new HashMap<String, String>();
        env.put("INNGEST_API_BASE_URL", apiOrigin == null ? "http://127.0.0.1:1" : apiOrigin);
        env.put("INNGEST_EVENT_API_BASE_URL", "http://127.0.0.1:1");
        env.put("INNGEST_EVENT_KEY", "test-event-key");
        if (key != null) {
            env.put("INNGEST_SIGNING_KEY", key);
        }
        if (fallback != null) {
            env.put("INNGEST_SIGNING_KEY_FALLBACK", fallback);
        }
        return Config.from(env);
    }

    Loomstep app(Config config) {
        return Loomstep.builder("peer").config(config).functions(hello, boom, busy).build();
    }

    Loomstep devApp() {
        return app(dev(null));
    }

    Loomstep cloudApp() {
        return app(cloud(null, KEY, FALLBACK));
    }
}
