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
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
            if (!f.isTest() && !f.source().contains("org.springframework") && !f.source().contains("dev.loomstep.connect")) {
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
        String springDependencies = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).findFirst().orElseThrow();
        assertTrue(springDependencies.contains("<artifactId>loomstep-spring-boot-starter</artifactId>")
                && springDependencies.contains("<version>3.5."), "the README's Spring Boot 3.5 dependencies:\n" + springDependencies);
        assertTheSpringBootAppRuns(springDependencies, project);
    }

    /**
     * The README's Spring Boot app under Boot's parent, as most Boot projects are: Boot then manages Jackson
     * (2.19 on 3.5), older than the Jackson Loomstep is built on, and the run still completes.
     */
    @Test
    void theSpringBootAppUnderBootsParentRunsOnTheJacksonBootManages(@TempDir Path project) throws Exception {
        String parent = readme.blocks("xml").stream().filter(b -> b.startsWith("<parent>")).findFirst()
                .orElseThrow(() -> new AssertionError("the README shows spring-boot-starter-parent as a parent"));
        assertTrue(parent.contains("<artifactId>spring-boot-starter-parent</artifactId>") && parent.contains("<version>3.5."), parent);
        String springDependencies = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).findFirst().orElseThrow();
        String classpath = assertTheSpringBootAppRuns(springDependencies, project,
                pom -> pom.replaceFirst("(<modelVersion>4.0.0</modelVersion>\\n)", "$1" + java.util.regex.Matcher.quoteReplacement(parent.indent(2))));
        assertTrue(classpath.contains("jackson-databind-2.19."), "Boot's parent chose Jackson 2.19:\n" + classpath);
        assertTrue(!classpath.contains("jackson-databind-2.23."), "not Loomstep's own Jackson 2.23:\n" + classpath);
    }

    /** The same app and properties with the README's Spring Boot 4 dependencies: Boot 4.0, its Tomcat 11 and Jackson 3. */
    @Test
    void theSpringBootAppOnSpringBoot4RunsItsFunctionToCompletion(@TempDir Path project) throws Exception {
        var dependencyBlocks = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).toList();
        String boot4 = dependencyBlocks.stream().filter(b -> b.contains("<artifactId>loomstep-spring-boot4-starter</artifactId>")).findFirst()
                .orElseThrow(() -> new AssertionError("the README's Spring Boot 4 dependencies: " + dependencyBlocks));
        assertTrue(boot4.contains("<version>4.0."), "Spring Boot 4.0:\n" + boot4);
        String classpath = assertTheSpringBootAppRuns(boot4, project);
        assertTrue(classpath.contains("spring-boot-4.0.") && classpath.contains("tomcat-embed-core-11.")
                && classpath.contains("jackson-databind-3."), "ran on Spring Boot 4, Tomcat 11 and Jackson 3:\n" + classpath);
        assertTrue(!classpath.contains("spring-boot-3.") && !classpath.contains("loomstep-spring-boot-starter-"),
                "no Spring Boot 3 nor the Boot 3 starter:\n" + classpath);
    }

    /** The Getting started pom with {@code springDependencies}, the README's Spring Boot app and properties: its run completes. */
    String assertTheSpringBootAppRuns(String springDependencies, Path project) throws Exception {
        return assertTheSpringBootAppRuns(springDependencies, project, pom -> pom);
    }

    /** The same, with {@code editPom} applied to the Getting started pom first. */
    String assertTheSpringBootAppRuns(String springDependencies, Path project, java.util.function.UnaryOperator<String> editPom) throws Exception {
        String pom = editPom.apply(readme.pom());
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
        return classpath;
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
        assertTheSpringBootConnectAppRuns(connectDependencies(), project);
    }

    /**
     * Spring Boot 4 over Connect, as the README says: its Connect dependencies with the Boot 4 starter and
     * {@code spring-boot-starter} 4.0.7 — no web server and no Jackson 3 (the plain starter brings none).
     */
    @Test
    void theSpringBootAppOverConnectOnSpringBoot4RunsItsFunctionToCompletion(@TempDir Path project) throws Exception {
        String says = "On Spring Boot 4, the same with `loomstep-spring-boot4-starter` in place of `loomstep-spring-boot-starter`\n"
                + "and `spring-boot-starter` version `4.0.7`.";
        assertTrue(readme.text().contains(says), "the README says how Connect looks on Boot 4: " + says);
        String boot3 = connectDependencies();
        String boot4 = boot3.replace("<artifactId>loomstep-spring-boot-starter</artifactId>", "<artifactId>loomstep-spring-boot4-starter</artifactId>")
                .replaceFirst("(<artifactId>spring-boot-starter</artifactId>\\s*<version>)[^<]+(</version>)", "$14.0.7$2");
        assertTrue(boot4.contains("4.0.7") && boot4.contains("loomstep-spring-boot4-starter"), boot4);
        String classpath = assertTheSpringBootConnectAppRuns(boot4, project);
        assertTrue(classpath.contains("spring-boot-4.0.") && !classpath.contains("spring-boot-3."), "Spring Boot 4:\n" + classpath);
        assertTrue(!classpath.contains("jackson-databind-3.") && !classpath.contains("tomcat-embed"), "no Jackson 3, no web server:\n" + classpath);
    }

    String connectDependencies() {
        var dependencyBlocks = readme.blocks("xml").stream().filter(b -> b.startsWith("<dependencies>")).toList();
        return dependencyBlocks.stream().filter(b -> b.contains("loomstep-connect")).findFirst()
                .orElseThrow(() -> new AssertionError("the README's Spring Boot dependencies for Connect: " + dependencyBlocks));
    }

    String assertTheSpringBootConnectAppRuns(String connectDependencies, Path project) throws Exception {
        String pom = readme.pom();
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
        return classpath;
    }

    @Test
    void theReadmesTestClassRunsWithLoomstepTestOnJUnit5(@TempDir Path project) throws Exception {
        assertTheReadmesTestsRunOn("5.12.2", project);
    }

    @Test
    void theReadmesTestClassRunsWithLoomstepTestOnJUnit6(@TempDir Path project) throws Exception {
        assertTheReadmesTestsRunOn("6.1.3", project);
    }

    /**
     * The Getting started pom plus the README's test dependencies, with {@code junit-jupiter} at
     * {@code junit}; its Checkout and CheckoutTest; {@code mvn test} passes and Surefire ran the tests
     * (not zero: an old Surefire finds no JUnit 5 test and still succeeds) on that JUnit.
     */
    void assertTheReadmesTestsRunOn(String junit, Path project) throws Exception {
        var blocks = readme.blocks("xml");
        String testDependencies = blocks.stream().filter(b -> b.startsWith("<dependency>") && b.contains("loomstep-test")).findFirst()
                .orElseThrow(() -> new AssertionError("the README shows the test dependencies: " + blocks));
        var jupiter = Pattern.compile("(<artifactId>junit-jupiter</artifactId>\\s*<version>)[^<]+(</version>)").matcher(testDependencies);
        assertTrue(jupiter.find(), "the README's test dependencies pin junit-jupiter:\n" + testDependencies);
        testDependencies = jupiter.replaceFirst("$1" + junit + "$2");
        String pom = readme.pom();
        int end = pom.indexOf("\n  </dependencies>\n") + 1;
        Files.writeString(project.resolve("pom.xml"), pom.substring(0, end) + testDependencies.indent(4) + pom.substring(end));
        int tests = 0;
        for (var f : readme.javaFiles()) {
            if (f.path().endsWith("/Checkout.java")) {
                write(project.resolve("src/main/java").resolve(f.path()), f.source());
            } else if (f.isTest()) {
                write(project.resolve("src/test/java").resolve(f.path()), f.source());
                tests++;
            }
        }
        assertEquals(1, tests, "the README's test class");

        String mvn = Path.of(System.getProperty("maven.home"), "bin", "mvn").toString();
        Process p = new ProcessBuilder(mvn, "-B", "-Dmaven.repo.local=" + System.getProperty("loomstep.localRepository"), "test")
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(project.resolve("test.log").toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "mvn test finishes");
        String log = Files.readString(project.resolve("test.log"));
        assertEquals(0, p.exitValue(), "mvn test failed on JUnit " + junit + ":\n" + log);
        // Surefire's summary: "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0" (the last one is the total).
        Matcher summary = Pattern.compile("Tests run: (\\d+), Failures: (\\d+), Errors: (\\d+), Skipped: (\\d+)\\s*$", Pattern.MULTILINE).matcher(log);
        String last = null;
        while (summary.find()) {
            last = summary.group();
        }
        assertTrue(last != null, "no Surefire summary on JUnit " + junit + ":\n" + log);
        assertEquals("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0", last.strip(), log);
        // The tests ran on the JUnit the project asked for: loomstep-test did not move it.
        String classpath;
        try (var reports = Files.list(project.resolve("target/surefire-reports"))) {
            Path report = reports.filter(r -> r.getFileName().toString().startsWith("TEST-")).findFirst().orElseThrow();
            classpath = Files.readString(report);
        }
        assertTrue(classpath.contains("junit-jupiter-api-" + junit + ".jar"), "the tests ran on junit-jupiter-api " + junit + ":\n" + classpath);
        assertEquals(1, Pattern.compile("junit-jupiter-api-[0-9.]+\\.jar").matcher(classpath).results().map(MatchResult::group).distinct().count(),
                "one junit-jupiter-api on the test class path:\n" + classpath);
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
