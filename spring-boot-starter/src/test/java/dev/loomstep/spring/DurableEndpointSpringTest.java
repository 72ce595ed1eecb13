package dev.loomstep.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.DurableEndpoint;
import dev.loomstep.http.DurableEndpointServlet;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A durable endpoint in a Spring MVC app: the starter's {@link Loomstep} bean and a
 * {@link DurableEndpointServlet} registered beside the DispatcherServlet, on Boot's Tomcat, against the
 * devserver — a sleep redirects the client, which then gets the handler's result.
 */
class DurableEndpointSpringTest {
    static final AtomicInteger RESERVED = new AtomicInteger();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class QuoteApp {
        @Bean
        ServletRegistrationBean<DurableEndpointServlet> quote(Loomstep app) {
            var endpoint = DurableEndpoint.of(app, "quote", (req, step) -> {
                int n = step.run("reserve", Integer.class, RESERVED::incrementAndGet);
                step.sleep("settle", Duration.ofSeconds(1));
                return Map.of("reserved", n, "sku", req.json().path("sku").asText());
            });
            var bean = new ServletRegistrationBean<>(new DurableEndpointServlet(endpoint), "/api/quote");
            bean.setAsyncSupported(true);
            return bean;
        }
    }

    DevServer dev;
    ConfigurableApplicationContext spring;

    @AfterEach
    void stop() {
        if (spring != null) {
            spring.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void aDurableEndpointServletBeanRedirectsTheClientPastASleepAndAnswersWithTheResult() throws Exception {
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        spring = new SpringApplicationBuilder(QuoteApp.class).properties("server.port=0", "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + dev.url()).run();
        String port = spring.getEnvironment().getProperty("local.server.port");
        var client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1).build();

        var res = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/quote"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"sku\":\"book\"}")).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, res.statusCode(), res.body());
        assertEquals(Json.mapper().readTree("{\"reserved\":1,\"sku\":\"book\"}"), Json.mapper().readTree(res.body()));
        assertEquals(URI.create(dev.url()).getPort(), res.uri().getPort(), "the answer came from the run's output URL: " + res.uri());
        assertEquals(1, RESERVED.get());
    }
}
