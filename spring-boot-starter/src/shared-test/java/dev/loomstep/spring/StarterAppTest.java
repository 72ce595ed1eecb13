package dev.loomstep.spring;

import dev.loomstep.devserver.DevServer;
import dev.loomstep.testkit.Teardown;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the starters' servlet tests share: a real devserver on a free loopback port for each test, a
 * Spring Boot app with the starter started against it on a free port, and both stopped after the test.
 * Compiled into both starters' tests, so nothing here may name a class Boot 4 moved.
 */
@Timeout(120)
abstract class StarterAppTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    DevServer dev;
    ConfigurableApplicationContext spring;

    @BeforeEach
    void startDevServer() {
        dev = DevServer.builder().port(0).inMemory().start();
    }

    @AfterEach
    void stop() {
        Teardown.closeAll(spring, dev);
    }

    /** {@code app} with the starter against {@code devServerUrl}, its health endpoint showing every detail. */
    ConfigurableApplicationContext start(Class<?> app, String devServerUrl, String... more) {
        return new SpringApplicationBuilder(app).properties(
                "server.port=0",
                "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + devServerUrl,
                "management.endpoints.web.exposure.include=health",
                "management.endpoint.health.show-details=always").properties(more).run();
    }

    /** Where the running app's web server answers. */
    String base() {
        return base(spring);
    }

    static String base(ConfigurableApplicationContext spring) {
        return "http://127.0.0.1:" + WebServerPort.of(spring);
    }

    /** A loopback port nothing listens on. */
    static int closedPort() throws Exception {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
