package dev.loomstep.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.testkit.ChildJvm;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The starter in an app without actuator, so without Micrometer's meters ({@link PlainBootApp} in a JVM of
 * its own whose classpath has neither actuator nor micrometer-core; Spring itself brings only
 * micrometer-observation): it starts, serves and runs a function to completion, and the metrics
 * auto-configuration stays out of the way (no middleware bean, no Micrometer meter class needed).
 */
@Timeout(120)
class WithoutMicrometerTest {

    @Test
    void anAppWithoutActuatorRunsItsFunctionsWithNoMicrometerOnTheClasspath(@TempDir Path dir) throws Exception {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains("/io/micrometer/micrometer-core/") && !entry.contains("/spring-boot-actuator")
                        && !entry.contains("/spring-boot-starter-actuator"))
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(System.getProperty("java.class.path").contains("/io/micrometer/micrometer-core/"), "this JVM has Micrometer, the child must not");
        assertFalse(classpath.contains("micrometer-core"), classpath);
        try (var dev = DevServer.builder().port(0).inMemory().start()) {
            Path log = dir.resolve("app.log");
            var command = ChildJvm.java(List.of("-cp", classpath),
                    List.of(PlainBootApp.class.getName(), "--loomstep.dev-server-url=" + dev.url()));
            try (var app = ChildJvm.start(command, Map.of(), log, "plain-app ready", Duration.ofSeconds(60))) {
                // The child's line may reach the log file a moment after ChildJvm saw it: read until it is there.
                String printed = Files.readString(log);
                for (long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                     !printed.contains("plain-app ready;") && System.nanoTime() < end; printed = Files.readString(log)) {
                    Thread.sleep(50);
                }
                assertTrue(printed.contains("plain-app ready; micrometer absent; middleware beans ["), printed);
                assertFalse(printed.contains("LoomstepMetrics"), "no metrics middleware without Micrometer: " + printed);
                String eventId = SigtermDrainTest.send(dev.url(), "{\"name\":\"plain/greet\",\"data\":{}}");
                JsonNode run = SigtermDrainTest.awaitCompleted(dev.url(), eventId);
                assertEquals("hello", run.path("output").asText(), run.toString());
            }
        }
    }
}
