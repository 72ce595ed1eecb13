package dev.loomstep.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small real HTTP server on a free loopback port, standing in for an executor's API or event API:
 * it records every request and answers with the scripted replies in turn (the last one repeats).
 */
final class RecordingServer implements AutoCloseable {
    /** A request as received. */
    record Recorded(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A scripted answer. */
    record Answer(int status, String body) {}

    /** Chooses the answer to a request. */
    @FunctionalInterface
    interface Script {
        Answer answer(Recorded request, int index);
    }

    private final HttpServer server;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();

    private RecordingServer(Script script) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var count = new AtomicInteger();
        server.createContext("/", exchange -> respond(exchange, script, count.getAndIncrement()));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Answers with {@code answers} in turn; the last repeats. */
    static RecordingServer replying(Answer... answers) {
        return new RecordingServer((r, i) -> answers[Math.min(i, answers.length - 1)]);
    }

    static RecordingServer scripted(Script script) {
        return new RecordingServer(script);
    }

    private void respond(HttpExchange exchange, Script script, int index) throws IOException {
        var headers = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
        var uri = exchange.getRequestURI();
        var recorded = new Recorded(exchange.getRequestMethod(),
                uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                headers, exchange.getRequestBody().readAllBytes());
        requests.add(recorded);
        Answer answer = script.answer(recorded, index);
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Recorded> requests() {
        return new ArrayList<>(requests);
    }

    void clear() {
        requests.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
