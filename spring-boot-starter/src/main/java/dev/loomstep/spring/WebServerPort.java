package dev.loomstep.spring;

import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/** The port of the application's web server, where Spring Boot 3 keeps it (Boot 4 moved the type). */
final class WebServerPort {
    private WebServerPort() {}

    /** The port, or null when the context has no web server. */
    static Integer of(ApplicationContext context) {
        return context instanceof WebServerApplicationContext web && web.getWebServer() != null ? web.getWebServer().getPort() : null;
    }
}
