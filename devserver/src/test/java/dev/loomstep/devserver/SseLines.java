package dev.loomstep.devserver;

import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A server-sent-events reader for tests: the {@code data:} lines of a stream, parsed as realtime messages, with a deadline. */
final class SseLines implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    final int status;
    final String contentType;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final HttpResponse<Stream<String>> response;
    private final Thread reader;

    SseLines(String url) {
        try {
            response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofLines());
        } catch (Exception e) {
            throw new AssertionError("GET " + url + " failed: " + e, e);
        }
        status = response.statusCode();
        contentType = response.headers().firstValue("content-type").orElse("");
        reader = Thread.ofVirtual().start(() -> {
            try {
                response.body().forEach(lines::add);
            } catch (RuntimeException e) {
                lines.add("!closed: " + e);
            }
            lines.add("!end");
        });
    }

    /** The next {@code data:} message, skipping keepalives; fails after {@code wait}. */
    RealtimeMessage next(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            String line;
            try {
                line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (line == null) {
                throw new AssertionError("no SSE message within " + wait);
            }
            if (line.startsWith("!end")) {
                throw new AssertionError("the SSE stream ended");
            }
            if (line.startsWith("data: ")) {
                try {
                    return RealtimeMessage.fromWire(Json.mapper().readTree(line.substring(6)));
                } catch (Exception e) {
                    throw new AssertionError("not a realtime message: " + line, e);
                }
            }
        }
    }

    /** Whatever else arrives within {@code wait}, as text (empty when nothing came). */
    String drain(Duration wait) throws InterruptedException {
        StringBuilder sb = new StringBuilder();
        String line = lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        while (line != null) {
            sb.append(line).append('\n');
            line = lines.poll(50, TimeUnit.MILLISECONDS);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
