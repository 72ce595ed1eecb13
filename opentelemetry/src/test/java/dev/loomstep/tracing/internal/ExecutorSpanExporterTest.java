package dev.loomstep.tracing.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.loomstep.Config;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The exporter against a real loopback HTTP server: what one export looks like on the wire. */
class ExecutorSpanExporterTest {
    @Test
    void anExportToACleartextExecutorIsHttp11WithoutAnH2cUpgradeOffer() throws Exception {
        var seen = new CopyOnWriteArrayList<Map<String, List<String>>>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(ExecutorSpanExporter.PATH, ex -> {
            seen.add(Map.copyOf(ex.getRequestHeaders()));
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        try {
            String origin = "http://127.0.0.1:" + server.getAddress().getPort();
            Config config = Config.from(Map.of("INNGEST_DEV", origin));
            var exporter = ExecutorSpanExporter.of(() -> config);
            long now = System.currentTimeMillis() * 1_000_000;
            var span = TestSpanData.builder().setName("step").setKind(SpanKind.INTERNAL)
                    .setSpanContext(io.opentelemetry.api.trace.SpanContext.create("0af7651916cd43dd8448eb211c80319c",
                            "b7ad6b7169203331", io.opentelemetry.api.trace.TraceFlags.getSampled(),
                            io.opentelemetry.api.trace.TraceState.getDefault()))
                    .setStartEpochNanos(now).setEndEpochNanos(now + 1_000).setHasEnded(true)
                    .setStatus(StatusData.unset()).setTotalRecordedEvents(0).setTotalRecordedLinks(0).setTotalAttributeCount(0)
                    .build();
            assertTrue(exporter.export(List.of(span)).join(10, TimeUnit.SECONDS).isSuccess());
            assertEquals(1, seen.size());
            assertNull(seen.get(0).get("Upgrade"), "an h2c upgrade offer: " + seen.get(0));
            assertNull(seen.get(0).get("Http2-settings"), seen.get(0).toString());
        } finally {
            server.stop(0);
        }
    }
}
