package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.internal.Engine;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RunHistory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The replay check: replays recorded run histories against the function's current code, in-process
 * (no devserver, no step body runs, nothing is sent), and fails with one message naming the steps when
 * the code no longer fits a run — a recorded step never reached, steps reached in another order, an
 * output that no longer deserializes into its step's type, a fan-out whose branches changed. Code that
 * still fits (steps added after the recorded ones, step bodies changed with the same output type)
 * passes. Put it in CI with the histories of your important runs, exported from the devserver
 * ({@code GET /v1/runs/{runId}/history}, or "Download history" on the run's page).
 *
 * <pre>{@code
 * @Test
 * void inFlightOrdersStillFitTheCode() {
 *     Replayer.of(ProcessOrder.function(payments)).replayAll(Path.of("src/test/resources/histories"));
 * }
 * }</pre>
 *
 * <p>Like Temporal's {@code WorkflowReplayer}: the history is the state an executor would send, the
 * code is replayed against it, and a mismatch is an {@link AssertionError}
 * ({@link ReplayMismatchError}, with its {@link ReplayMismatchError.Kind}).
 */
public final class Replayer {
    private final Loomstep app;
    private final Function<?, ?> function;

    private Replayer(Loomstep app, Function<?, ?> function) {
        this.app = app;
        this.function = function;
    }

    /**
     * Replays against {@code function}; its app id is taken from each history's function id
     * ({@code {appId}-{functionId}}). User values are read with Loomstep's own mapper: use
     * {@link #of(Loomstep)} for an app with its own {@code ObjectMapper}.
     */
    public static Replayer of(Function<?, ?> function) {
        if (function == null) {
            throw new IllegalArgumentException("the function to replay against must not be null");
        }
        return new Replayer(null, function);
    }

    /** Replays against the functions of {@code app}, with its mapper; each history names its function. */
    public static Replayer of(Loomstep app) {
        if (app == null) {
            throw new IllegalArgumentException("the app to replay against must not be null");
        }
        return new Replayer(app, null);
    }

    /** Replays one history; throws {@link ReplayMismatchError} when the code no longer fits it. */
    public void replay(RunHistory history) {
        if (history == null) {
            throw new IllegalArgumentException("the history to replay must not be null");
        }
        ReplayMismatchError m = check(history);
        if (m != null) {
            throw m;
        }
    }

    /** Replays the history in {@code file} (JSON, as the devserver exports it). */
    public void replay(Path file) {
        replay(read(file));
    }

    /** Replays the history in classpath resource {@code name} (e.g. {@code "histories/order-1.json"}). */
    public void replayResource(String name) {
        String path = name.startsWith("/") ? name.substring(1) : name;
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try (InputStream in = (loader == null ? Replayer.class.getClassLoader() : loader).getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no classpath resource \"" + path + "\" to replay");
            }
            replay(RunHistory.read(in.readAllBytes(), "resource " + path));
        } catch (IOException e) {
            throw new UncheckedIOException("reading resource " + path + " failed", e);
        }
    }

    /**
     * Replays every history and fails once, listing each run that no longer fits (one line each; the
     * single errors are attached as suppressed). Passes for an empty collection.
     */
    public void replayAll(Collection<RunHistory> histories) {
        var failed = new ArrayList<ReplayMismatchError>();
        for (RunHistory h : histories) {
            ReplayMismatchError m = check(h);
            if (m != null) {
                failed.add(m);
            }
        }
        if (failed.isEmpty()) {
            return;
        }
        if (failed.size() == 1) {
            throw failed.get(0);
        }
        var message = new StringBuilder(failed.size() + " of " + histories.size() + " run histories no longer fit the code:");
        failed.forEach(m -> message.append("\n- ").append(m.getMessage()));
        var all = new AssertionError(message.toString());
        failed.forEach(all::addSuppressed);
        throw all;
    }

    /** Replays every {@code *.json} file in {@code directory} (not its subdirectories), in name order. */
    public void replayAll(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(directory + " is not a directory of run histories");
        }
        try (Stream<Path> files = Files.list(directory)) {
            replayAll(files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().map(Replayer::read).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + directory + " failed", e);
        }
    }

    private static RunHistory read(Path file) {
        try {
            return RunHistory.read(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + " failed", e);
        }
    }

    private ReplayMismatchError check(RunHistory history) {
        Loomstep target = app;
        String fnId = history.functionId();
        if (target == null) {
            if (fnId == null || !(fnId.equals(function.id()) || fnId.endsWith("-" + function.id()))) {
                throw new IllegalArgumentException("the history of run " + history.runId() + " is of function \"" + fnId
                        + "\", not of \"" + function.id() + "\": replay it with that function (or Replayer.of(app))");
            }
            String appId = fnId.equals(function.id()) ? "replay" : fnId.substring(0, fnId.length() - function.id().length() - 1);
            target = Loomstep.builder(appId).dev(null).functions(function).build();
            fnId = appId + "-" + function.id();
        } else if (!target.functionsById().containsKey(fnId)) {
            throw new IllegalArgumentException("the history of run " + history.runId() + " is of function \"" + fnId + "\", which app \""
                    + target.appId() + "\" does not have; it has " + target.functionsById().keySet());
        }
        var probe = new ReplayCheck.Probe();
        CallResult result = new Engine(target, target.objectMapper()).replay(fnId, request(history, fnId), probe);
        return new ReplayCheck(history, probe, result).mismatch();
    }

    /** The call an executor would send with every recorded step memoized, asking for no step body to run. */
    private static CallRequest request(RunHistory history, String fnId) {
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        List<String> stack = new ArrayList<>();
        for (RunHistory.Step s : history.memoizedSteps()) {
            steps.put(s.id(), s.memo() == null ? Json.nodes().nullNode() : s.memo());
            stack.add(s.id());
        }
        List<Event> events = history.events();
        var ctx = new CallRequest.CallContext(history.runId(), 0, fnId, true, false, null,
                new CallRequest.Stack(stack, stack.size()), null);
        return new CallRequest(events.isEmpty() ? null : events.get(0), events, steps, ctx, 1, null);
    }
}
