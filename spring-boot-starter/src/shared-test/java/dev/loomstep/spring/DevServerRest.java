package dev.loomstep.spring;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/** The starter tests' reads of the devserver's REST API (and the app's actuator), in one place. */
final class DevServerRest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private DevServerRest() {}

    static JsonNode get(String url) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.mapper().readTree(response.body());
    }

    /** The first run of {@code eventId} in {@code status}, polled for up to 60 s. */
    static JsonNode awaitRun(DevServer dev, String eventId, String status) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(dev.url() + "/v1/events/" + eventId + "/runs");
            for (JsonNode run : last.path("data")) {
                if (status.equals(run.path("status").asText())) {
                    return get(dev.url() + "/v1/runs/" + run.path("run_id").asText()).path("data");
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + status + " run for event " + eventId + " within 60 s: " + last);
    }
}
