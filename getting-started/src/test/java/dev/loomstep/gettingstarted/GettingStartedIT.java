package dev.loomstep.gettingstarted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.protocol.Json;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a newcomer does with the README alone: fresh Maven projects written from its snippets, built
 * with Maven against the artifacts just installed in the local repository, run as their own JVMs
 * against a devserver; their first run completes. Needs the artifacts installed: {@code ./loom test}
 * runs {@code mvn install} and sets {@code loomstep.requireInstalled}; without it the test is skipped
 * when they are missing.
 */
@Timeout(600)
class GettingStartedIT {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    DevServer dev;
    final List<Process> processes = new ArrayList<>();
    final List<Path> logs = new ArrayList<>();
    Readme readme;

    @BeforeEach
    void setUp() throws IOException {
        Path installed = Path.of(System.getProperty("loomstep.localRepository"), "dev/loomstep/loomstep-bom", System.getProperty("loomstep.version"));
        if (!Boolean.getBoolean("loomstep.requireInstalled")) {
            Assumptions.assumeTrue(Files.isDirectory(installed), "Loomstep is not installed in the local repository (run mvn install)");
        }
        readme = Readme.load();
        dev = DevServer.builder().port(0).inMemory().start();
    }

    @AfterEach
    void tearDown() {
        processes.forEach(Process::destroyForcibly);
        if (dev != null) {
            dev.close();
        }
    }

    @Test
    void aPlainMainWrittenFromTheReadmeRunsItsFunctionToCompletion(@TempDir Path project) throws Exception {
        Files.writeString(project.resolve("pom.xml"), readme.pom());
        for (var f : readme.javaFiles()) {
            if (!f.source().contains("org.springframework") && !f.source().contains("dev.loomstep.connect")) {
                write(project.resolve("src/main/java").resolve(f.path()), f.source());
            }
        }
        String classpath = build(project);
        start(project, classpath, "com.example.shop.Main", Map.of("DEV_SERVER_URL", dev.url(), "PORT", String.valueOf(freePort())));

        JsonNode run = awaitCompleted("shop-checkout");
        assertEquals("o-1", run.path("output").path("orderId").asText(), run.toString());
        assertEquals("ch_o-1", run.path("output").path("charge").asText(), run.toString());
    }

    @Test
    void aSpringBootAppWithTheStarterAndNoServletRegistrationRunsItsFunctionToCompletion(@TempDir Path project) throws Exception {
        String pom = readme.pom();
        String springDependencies = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).findFirst().orElseThrow();
        // The project's own <dependencies> (indented by two; the BOM's sit deeper) become the Spring Boot ones.
        int from = pom.indexOf("\n  <dependencies>") + 1;
        int to = pom.indexOf("\n  </dependencies>\n") + "\n  </dependencies>\n".length();
        pom = pom.substring(0, from) + springDependencies.indent(2) + pom.substring(to);
        Files.writeString(project.resolve("pom.xml"), pom);
        for (var f : readme.javaFiles()) {
            if (f.source().contains("org.springframework")) {
                write(project.resolve("src/main/java").resolve(f.path()), f.source());
            }
        }
        write(project.resolve("src/main/resources/application.properties"), readme.blocks("properties").get(0));
        String classpath = build(project);
        start(project, classpath, "com.example.shop.ShopApplication", Map.of(), "--server.port=" + freePort(),
                "--loomstep.dev-server-url=" + dev.url());

        JsonNode run = awaitCompleted("shop-greet");
        assertEquals("hello ada", run.path("output").asText(), run.toString());
    }

    @Test
    void aConnectWorkerInAPlainMainWrittenFromTheReadmeServesItsFunctionWithNoInboundPort(@TempDir Path project) throws Exception {
        // The Getting started pom with the README's loomstep-connect dependency instead of loomstep-undertow.
        String connect = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependency>") && b.contains("loomstep-connect"))
                .findFirst().orElseThrow(() -> new AssertionError("the README shows the loomstep-connect dependency"));
        String pom = readme.pom();
        String undertow = "<dependency>\n  <groupId>dev.loomstep</groupId>\n  <artifactId>loomstep-undertow</artifactId>\n</dependency>\n".indent(4);
        assertTrue(pom.contains(undertow), "the Getting started pom depends on loomstep-undertow:\n" + pom);
        Files.writeString(project.resolve("pom.xml"), pom.replace(undertow, connect.indent(4)));
        int workers = 0;
        for (var f : readme.javaFiles()) {
            if (f.path().endsWith("/Checkout.java") || f.source().contains("dev.loomstep.connect")) {
                write(project.resolve("src/main/java").resolve(f.path()), f.source());
                workers += f.source().contains("dev.loomstep.connect") ? 1 : 0;
            }
        }
        assertEquals(1, workers, "the README's Connect worker");
        String classpath = build(project);
        start(project, classpath, "com.example.shop.Worker", Map.of("INNGEST_DEV", dev.url()));

        JsonNode app = awaitConnectApp("shop");
        assertEquals("shop-worker-1", app.path("connections").path(0).path("instance_id").asText(), app.toString());
        send("{\"name\":\"shop/order.placed\",\"data\":{\"id\":\"o-3\",\"cents\":500}}");
        JsonNode run = awaitCompleted("shop-checkout");
        assertEquals("ch_o-3", run.path("output").path("charge").asText(), run.toString());
    }

    @Test
    void theSpringBootAppOverConnectWithoutAWebServerRunsItsFunctionToCompletion(@TempDir Path project) throws Exception {
        String pom = readme.pom();
        var dependencyBlocks = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).toList();
        String connectDependencies = dependencyBlocks.stream().filter(b -> b.contains("loomstep-connect")).findFirst()
                .orElseThrow(() -> new AssertionError("the README's Spring Boot dependencies for Connect: " + dependencyBlocks));
        assertTrue(!connectDependencies.contains("spring-boot-starter-web"), "no web server: " + connectDependencies);
        int from = pom.indexOf("\n  <dependencies>") + 1;
        int to = pom.indexOf("\n  </dependencies>\n") + "\n  </dependencies>\n".length();
        Files.writeString(project.resolve("pom.xml"), pom.substring(0, from) + connectDependencies.indent(2) + pom.substring(to));
        for (var f : readme.javaFiles()) {
            if (f.source().contains("org.springframework")) {
                write(project.resolve("src/main/java").resolve(f.path()), f.source());
            }
        }
        var properties = readme.blocks("properties");
        String connectProperties = properties.stream().filter(b -> b.contains("loomstep.connect.enabled=true")).findFirst()
                .orElseThrow(() -> new AssertionError("the README's Connect properties: " + properties));
        write(project.resolve("src/main/resources/application.properties"), properties.get(0) + connectProperties);
        String classpath = build(project);
        start(project, classpath, "com.example.shop.ShopApplication", Map.of(), "--loomstep.dev-server-url=" + dev.url());

        JsonNode run = awaitCompleted("shop-greet");
        assertEquals("hello ada", run.path("output").asText(), run.toString());
        JsonNode app = awaitConnectApp("shop");
        assertEquals("shop-worker-1", app.path("connections").path(0).path("instance_id").asText(), app.toString());
    }

    /** The app once a worker of it is connected to the devserver's gateway. */
    JsonNode awaitConnectApp(String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(dev.url() + "/v1/apps");
            for (JsonNode app : last.path("data")) {
                if (id.equals(app.path("id").asText()) && "connect".equals(app.path("connection_type").asText())
                        && !app.path("connections").isEmpty()) {
                    return app;
                }
            }
            assertAlive();
            Thread.sleep(100);
        }
        throw new AssertionError("no worker of " + id + " connected within 120 s: " + last);
    }

    void send(String event) throws Exception {
        var r = HTTP.send(HttpRequest.newBuilder(URI.create(dev.url() + "/e/key")).POST(HttpRequest.BodyPublishers.ofString(event)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** The README's build command, against the local repository the Loomstep build installed into. */
    String build(Path project) throws Exception {
        String mvn = Path.of(System.getProperty("maven.home"), "bin", "mvn").toString();
        var command = List.of(mvn, "-B", "-q", "-Dmaven.repo.local=" + System.getProperty("loomstep.localRepository"),
                "compile", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt");
        Process p = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(project.resolve("build.log").toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the build finishes");
        assertEquals(0, p.exitValue(), "mvn failed:\n" + Files.readString(project.resolve("build.log")) + "\npom:\n" + Files.readString(project.resolve("pom.xml")));
        return project.resolve("target/classes") + File.pathSeparator + Files.readString(project.resolve("cp.txt")).strip();
    }

    void start(Path project, String classpath, String main, Map<String, String> env, String... args) throws IOException {
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String flags = System.getProperty("loomstep.jvm.flags", "");
        if (!flags.isBlank()) {
            command.add(flags); // JDK 24+: Undertow's Unsafe use, as the README tells users
        }
        command.addAll(List.of("-Dorg.jboss.logging.provider=slf4j", "-cp", classpath, main));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(project.resolve("app.log").toFile());
        builder.environment().putAll(env);
        processes.add(builder.start());
        logs.add(project.resolve("app.log"));
    }

    JsonNode awaitCompleted(String function) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(dev.url() + "/v1/runs?function=" + function);
            for (JsonNode run : last.path("data")) {
                if ("Completed".equals(run.path("status").asText())) {
                    return run;
                }
            }
            assertAlive();
            Thread.sleep(100);
        }
        throw new AssertionError("no completed run of " + function + " within 120 s: " + last);
    }

    /** Fails with the app's log when it exited. */
    void assertAlive() throws IOException {
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            if (!p.isAlive()) {
                throw new AssertionError("the app exited with " + p.exitValue() + ":\n" + Files.readString(logs.get(i)));
            }
        }
    }

    static JsonNode get(String url) throws Exception {
        var r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return Json.mapper().readTree(r.body());
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
