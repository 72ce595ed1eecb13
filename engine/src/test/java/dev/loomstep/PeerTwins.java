package dev.loomstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.fetch.FetchResponse;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.CancelOn;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.RateLimit;
import dev.loomstep.flow.Singleton;
import dev.loomstep.flow.Throttle;
import dev.loomstep.flow.Timeouts;
import dev.loomstep.protocol.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Java twins of {@code testkit/js-peer/server.js}: same function ids, step ids and results. Shared with
 * the other modules' tests through the engine's test jar; keep it in step with server.js.
 */
public final class PeerTwins {
    private PeerTwins() {}

    public static List<Function<?, ?>> twins() {
        var receipt = Function.builder("receipt").trigger(Trigger.deferred())
                .handler((in, step) -> Map.of("order", in.data().path("order").asText()));
        var defers = Function.builder("defers").trigger(Trigger.event("peer/defers")).handler((in, step) -> {
            step.defer("receipt", Defer.function(receipt).data(Map.of("order", in.data().path("id").asText())));
            Deferred maybe = step.defer("maybe", Defer.function(receipt).data(Map.of("order", "maybe")));
            boolean keep = step.run("check", Boolean.class, () -> false);
            if (!keep) {
                maybe.abort();
            }
            return Map.of("keep", keep);
        });
        var seq = Function.builder("seq").trigger(Trigger.event("peer/seq")).handler((in, step) -> {
            int a = step.run("a", Integer.class, () -> 1);
            int b = step.run("b", Integer.class, () -> 2);
            step.sleep("nap", Duration.ofSeconds(1));
            int again = step.run("a", Integer.class, () -> 3);
            return Map.of("done", true, "sum", a + b + again);
        });
        var sleepUntil = Function.builder("sleep-until").trigger(Trigger.event("peer/sleep-until")).handler((in, step) -> {
            step.sleepUntil("wake", Instant.parse("2030-01-01T00:00:00Z"));
            return Map.of("woke", true);
        });
        var wait = Function.builder("wait").trigger(Trigger.event("peer/wait")).handler((in, step) -> {
            Optional<Event> got = step.waitForEvent("w", WaitForEvent.of("peer/approve")
                    .timeout(Duration.ofHours(1)).ifExpression("event.data.id == async.data.id"));
            return nullable("got", got.orElse(null));
        });
        var waitMatch = Function.builder("wait-match").trigger(Trigger.event("peer/wait-match")).handler((in, step) -> {
            Optional<Event> got = step.waitForEvent("w", WaitForEvent.of("peer/approve")
                    .timeout(Duration.ofMinutes(90)).match("data.id"));
            return nullable("got", got.orElse(null));
        });
        var child = Function.builder("child").trigger(Trigger.event("peer/child"))
                .handler((in, step) -> Map.of("doubled", in.data().path("v").asInt() * 2));
        var invoke = Function.builder("invoke").trigger(Trigger.event("peer/invoke")).handler((in, step) -> {
            JsonNode result = step.invoke("call-child", JsonNode.class,
                    Invoke.function(child).data(Map.of("v", 21)).timeout(Duration.ofMinutes(1)));
            return Map.of("result", result);
        });
        var send = Function.builder("send").trigger(Trigger.event("peer/send")).handler((in, step) -> {
            List<String> one = step.sendEvent("send-it", Event.of("peer/sent", Map.of("n", 1)));
            List<String> two = step.sendEvent("send-two", Event.of("peer/sent", Map.of("n", 2)), Event.of("peer/sent", Map.of("n", 3)));
            return Map.of("one", Map.of("ids", one), "two", Map.of("ids", two));
        });
        var fanout = Function.builder("fanout").trigger(Trigger.event("peer/fanout")).handler((in, step) -> {
            List<Integer> parts = step.parallel(List.of(
                    () -> step.run("p1", Integer.class, () -> 1),
                    () -> step.run("p2", Integer.class, () -> 2),
                    () -> step.run("p3", Integer.class, () -> 3)));
            return Map.of("sum", parts.stream().mapToInt(Integer::intValue).sum());
        });
        var mixed = Function.builder("mixed").trigger(Trigger.event("peer/mixed")).handler((in, step) -> {
            List<Object> parts = step.parallel(List.<java.util.concurrent.Callable<Object>>of(
                    () -> step.run("m-run", Integer.class, () -> 1),
                    () -> {
                        step.sleep("m-nap", Duration.ofSeconds(30));
                        return null;
                    },
                    () -> step.waitForEvent("m-wait", WaitForEvent.of("peer/mixed-ok")
                            .timeout(Duration.ofMinutes(5)).ifExpression("event.data.id == async.data.id")).orElse(null),
                    () -> step.invoke("m-call", JsonNode.class,
                            Invoke.function(child).data(Map.of("v", 2)).timeout(Duration.ofMinutes(10)))));
            var out = new java.util.LinkedHashMap<String, Object>();
            out.put("ran", parts.get(0));
            out.put("slept", parts.get(1));
            out.put("got", parts.get(2));
            out.put("result", parts.get(3));
            return out;
        });
        var throwsPlain = Function.builder("throws").retries(2).trigger(Trigger.event("peer/throws")).handler((in, step) -> {
            step.run("boom", () -> {
                throw new IllegalStateException("kaput");
            });
            return Map.of("unreachable", true);
        });
        var throwsNonRetriable = Function.builder("throws-nonretriable").retries(2).trigger(Trigger.event("peer/throws-nonretriable"))
                .handler((in, step) -> {
                    step.run("boom", () -> {
                        throw new NonRetriableException("no way");
                    });
                    return Map.of("unreachable", true);
                });
        var throwsCause = Function.builder("throws-cause").trigger(Trigger.event("peer/throws-cause")).handler((in, step) -> {
            step.run("boom", () -> {
                throw new IllegalStateException("outer", new IllegalStateException("inner"));
            });
            return Map.of("unreachable", true);
        });
        var catches = Function.builder("catches").trigger(Trigger.event("peer/catches")).handler((in, step) -> {
            try {
                step.run("boom", () -> {
                    throw new IllegalStateException("kaput");
                });
                return Map.of("caught", false);
            } catch (StepFailedException e) {
                String after = step.run("after", String.class, () -> "recovered");
                return Map.of("caught", true, "name", e.errorName(), "message", e.errorMessage(), "after", after);
            }
        });
        var returns = Function.builder("returns").trigger(Trigger.event("peer/returns"))
                .handler((in, step) -> Map.of("ok", true, "n", 42, "echo", in.data()));
        var fnThrows = Function.builder("fn-throws").trigger(Trigger.event("peer/fn-throws")).handler((in, step) -> {
            throw new IllegalStateException("function kaput");
        });
        var fnNonRetriable = Function.builder("fn-nonretriable").trigger(Trigger.event("peer/fn-nonretriable")).handler((in, step) -> {
            throw new NonRetriableException("function no way");
        });
        var retryAfter = Function.builder("retry-after").trigger(Trigger.event("peer/retry-after")).handler((in, step) -> {
            step.run("boom", () -> {
                throw new RetryAfterException("slow down", Duration.ofSeconds(30));
            });
            return Map.of("unreachable", true);
        });
        var fnRetryAfter = Function.builder("fn-retry-after").trigger(Trigger.event("peer/fn-retry-after")).handler((in, step) -> {
            throw new RetryAfterException("later", Instant.parse("2030-01-01T00:00:00Z"));
        });
        var configured = Function.builder("configured").name("Configured function").retries(0)
                .trigger(Trigger.event("peer/configured", "event.data.ok == true"))
                .trigger(Trigger.cron("0 9 * * MON"))
                .concurrency(Concurrency.perKey(2, "event.data.id"))
                .onFailure((in, step) -> "handled")
                .handler((in, step) -> "ran");
        // Every flow-control option, as server.js's `flow` and `flow-batch`: compared field by field at sync.
        var flow = Function.builder("flow").name("Flow control").retries(5)
                .trigger(Trigger.event("peer/flow", "event.data.go == true"))
                .trigger(Trigger.cron("TZ=Europe/Paris 0 9 * * MON").jitter(Duration.ofSeconds(30)))
                .rateLimit(new RateLimit(10, Duration.ofMinutes(1), "event.data.user"))
                .throttle(new Throttle(3, Duration.ofMinutes(90), 2, "event.data.user"))
                .debounce(new Debounce(Duration.ofSeconds(5), "event.data.user", Duration.ofMinutes(2)))
                .cancelOn(CancelOn.event("peer/flow-cancel").ifExpression("event.data.id == async.data.id").timeout(Duration.ofDays(1)))
                .cancelOn(CancelOn.event("peer/flow-stop"))
                .cancelOn(CancelOn.event("peer/flow-refund").match("data.order").timeout(Duration.ofMillis(1500)))
                .priority("event.data.vip ? 120 : 0")
                .idempotency("event.data.order")
                .timeouts(new Timeouts(Duration.ofSeconds(30), Duration.ofHours(2)))
                .singleton(new Singleton("event.data.user", Singleton.Mode.cancel))
                .concurrency(new Concurrency(4, "event.data.user", Concurrency.Scope.fn))
                .concurrency(new Concurrency(20, "event.data.region", Concurrency.Scope.env))
                .onFailure((in, step) -> "flow failed")
                .handler((in, step) -> "flowed");
        var flowBatch = Function.builder("flow-batch").trigger(Trigger.event("peer/flow-batch"))
                .batchEvents(new BatchEvents(50, Duration.ofSeconds(10), "event.data.user", "event.data.batch == true"))
                .concurrency(5)
                .singleton(new Singleton(null, Singleton.Mode.skip))
                .timeouts(new Timeouts(null, Duration.ofDays(7)))
                .handler((in, step) -> Map.of("count", in.events().size()));
        var fetches = Function.builder("fetch").trigger(Trigger.event("peer/fetch")).handler((in, step) -> {
            FetchResponse res = step.fetch(FetchRequest.post("http://shop.test:8080/orders?x=1")
                    .header("X-Trace", "t1").header("Content-Type", "application/json").body("{\"id\":\"o1\",\"qty\":2}"));
            FetchResponse ping = step.fetch(FetchRequest.get("http://status.test/ping"));
            return Map.of("status", res.statusCode(), "order", res.json(JsonNode.class), "ping", ping.body(), "pingStatus", ping.statusCode());
        });
        var fetchCase = Function.builder("fetch-case").trigger(Trigger.event("peer/fetch-case")).handler((in, step) ->
                Map.of("status", step.fetch(FetchRequest.of("post", "http://Shop.TEST/Orders").body("{}")).statusCode()));
        var ai = Function.builder("ai").trigger(Trigger.event("peer/ai")).handler((in, step) -> {
            var hi = List.of(Map.of("role", "user", "content", "hi"));
            JsonNode gpt = step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey("sk-peer").baseUrl("http://llm.test/v1"),
                    Map.of("messages", hi));
            JsonNode claude = step.ai().infer("claude", AiModel.anthropic("claude-3-5-haiku-latest").apiKey("ak-peer")
                    .baseUrl("http://llm.test/v1/").betaHeaders(List.of("b1", "b2")), Map.of("max_tokens", 64, "messages", hi));
            JsonNode gem = step.ai().infer("gemini", AiModel.gemini("gemini-1.5-flash").apiKey("gk-peer").baseUrl("http://llm.test/v1beta"),
                    Map.of("contents", List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "hi"))))));
            String content = gpt.at("/choices/0/message/content").asText();
            String shout = step.ai().wrap("shout", String.class, (String text) -> text.toUpperCase(), content);
            return Map.of("gpt", content, "claude", claude.at("/content/0/text").asText(),
                    "gemini", gem.at("/candidates/0/content/parts/0/text").asText(), "shout", shout);
        });
        var subsecond = Function.builder("subsecond").trigger(Trigger.event("peer/subsecond")).handler((in, step) -> {
            List<Object> parts = step.parallel(List.<java.util.concurrent.Callable<Object>>of(
                    () -> {
                        step.sleep("half", Duration.ofMillis(500));
                        return null;
                    },
                    () -> {
                        step.sleep("one-and-a-half", Duration.ofMillis(1500));
                        return null;
                    },
                    () -> step.waitForEvent("w", WaitForEvent.of("peer/never").timeout(Duration.ofMillis(250))).orElse(null),
                    () -> step.invoke("call", JsonNode.class, Invoke.function("child").data(Map.of("v", 1)).timeout(Duration.ofMillis(1500)))));
            return nullable("got", parts.get(2), "result", parts.get(3));
        });
        var durations = Function.builder("durations").trigger(Trigger.event("peer/durations")).handler((in, step) -> {
            List<Object> parts = step.parallel(List.<java.util.concurrent.Callable<Object>>of(
                    () -> {
                        step.sleep("zero", Duration.ZERO);
                        return null;
                    },
                    () -> {
                        step.sleep("negative", Duration.ofSeconds(-5));
                        return null;
                    },
                    () -> step.waitForEvent("w-negative", WaitForEvent.of("peer/never").timeout(Duration.ofSeconds(-5))).orElse(null),
                    () -> step.waitForSignal("s-zero", JsonNode.class, WaitForSignal.of("peer/s-zero").timeout(Duration.ZERO)).orElse(null),
                    () -> step.invoke("i-negative", JsonNode.class, Invoke.function("child").data(Map.of("v", 1)).timeout(Duration.ofSeconds(-5)))));
            var out = nullable("got", parts.get(2), "signal", parts.get(3));
            out.put("result", parts.get(4));
            return out;
        });
        var failFast = Function.builder("fail-fast").trigger(Trigger.event("peer/fail-fast")).handler((in, step) -> {
            List<Integer> ab = step.parallel(List.<java.util.concurrent.Callable<Integer>>of(
                    () -> {
                        int x = step.run("a1", Integer.class, () -> 1);
                        return step.run("a2", Integer.class, () -> x + 1);
                    },
                    () -> step.run("b", Integer.class, () -> 2)));
            return Map.of("a", ab.get(0), "b", ab.get(1));
        });
        var race = Function.builder("race").trigger(Trigger.event("peer/race")).handler((in, step) -> {
            String winner = step.race(List.<java.util.concurrent.Callable<String>>of(
                    () -> step.run("fast", String.class, () -> "fast"),
                    () -> step.run("slow", String.class, () -> "slow")));
            String after = step.run("after", String.class, () -> "won by " + winner);
            return Map.of("winner", winner, "after", after);
        });
        var raceTimeout = Function.builder("race-timeout").trigger(Trigger.event("peer/race-timeout")).handler((in, step) -> {
            String outcome = step.race(List.<java.util.concurrent.Callable<String>>of(
                    () -> step.waitForEvent("approval", WaitForEvent.of("peer/approve").timeout(Duration.ofHours(1)))
                            .map(e -> "approved").orElse("no answer"),
                    () -> {
                        step.sleep("deadline", Duration.ofMinutes(30));
                        return "deadline";
                    }));
            return Map.of("outcome", outcome);
        });
        var signalWait = Function.builder("signal-wait").trigger(Trigger.event("peer/signal-wait")).handler((in, step) -> {
            Optional<JsonNode> got = step.waitForSignal("approval", JsonNode.class,
                    WaitForSignal.of("peer/approve-1").timeout(Duration.ofHours(1)));
            return nullable("got", got.orElse(null));
        });
        var signalSend = Function.builder("signal-send").trigger(Trigger.event("peer/signal-send")).handler((in, step) -> {
            Optional<String> runId = step.sendSignal("tell", "peer/approve-1", Map.of("ok", true));
            return nullable("runId", runId.orElse(null));
        });
        var realtime = Function.builder("realtime").trigger(Trigger.event("peer/realtime")).handler((in, step) -> {
            step.publish("announce", "orders/1", "status", Map.of("state", "packing"));
            return "published";
        });
        return List.of(realtime, defers, receipt, durations, fetchCase, subsecond, seq, sleepUntil, wait, waitMatch, child, invoke, send, fanout, mixed, throwsPlain, throwsNonRetriable,
                throwsCause, catches, returns, fnThrows, fnNonRetriable, retryAfter, fnRetryAfter, configured, flow, flowBatch,
                fetches, ai, failFast, race, signalWait, signalSend, raceTimeout);
    }

    private static Map<String, Object> nullable(String key, Object value) {
        var m = new HashMap<String, Object>();
        m.put(key, value);
        return m;
    }

    private static Map<String, Object> nullable(String key, Object value, String key2, Object value2) {
        var m = nullable(key, value);
        m.put(key2, value2);
        return m;
    }

    /**
     * A copy of a JS function config with {@code concurrency} in the list form Loomstep always syncs:
     * n → [{limit: n}], {…} → [{…}] (JS keeps the user's form; executors read the three alike).
     */
    public static JsonNode withConcurrencyAsList(JsonNode fn) {
        ObjectNode copy = ((ObjectNode) fn).deepCopy();
        JsonNode c = copy.get("concurrency");
        if (c != null && c.isNumber()) {
            copy.set("concurrency", Json.nodes().arrayNode().add(Json.nodes().objectNode().put("limit", c.asInt())));
        } else if (c != null && c.isObject()) {
            copy.set("concurrency", Json.nodes().arrayNode().add(c));
        }
        return copy;
    }
}
