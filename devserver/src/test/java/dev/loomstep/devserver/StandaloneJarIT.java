package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded {@code target/devserver.jar} runs as users run it, {@code java -jar devserver.jar}: its
 * manifest, merged service files (XNIO, Undertow, the SQLite driver, the SLF4J provider), the SQLite
 * native library and the web UI's resources are all inside it.
 */
@Timeout(60)
class StandaloneJarIT {
    static final Pattern START_LINE = Pattern.compile("^Loomstep devserver listening on (http://127\\.0\\.0\\.1:\\d+) .*");

    @TempDir
    Path dir;

    Process devserver;

    @AfterEach
    void stop() {
        if (devserver != null && devserver.isAlive()) {
            devserver.destroyForcibly();
        }
    }

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        Result r = run("--help");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("usage: java -jar devserver.jar [start] [options]"), r.toString());
        for (String flag : List.of("--port", "--host", "--db", "--in-memory", "--sdk-url", "--retry-delay-scale", "--max-concurrent-calls", "start",
                "--signing-key", "--event-key", "--api-access")) {
            assertTrue(r.out().contains(flag), "usage lists " + flag + ": " + r);
        }
        assertEquals(List.of(), r.errLines(), "nothing on stderr: " + r);
    }

    @Test
    void aBadFlagExitsNonZeroWithOneLine() throws Exception {
        Result r = run("--bogus");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(List.of("devserver: unknown option \"--bogus\" (see --help)"), r.errLines(), r.toString());

        r = run("--port", "eighty");
        assertEquals(2, r.exit(), r.toString());
        assertEquals(List.of("devserver: --port needs a number, got \"eighty\" (see --help)"), r.errLines(), r.toString());

        r = run("--max-concurrent-calls", "0");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(List.of("devserver: --max-concurrent-calls needs a whole number of at least 1, got \"0\" (see --help)"), r.errLines(), r.toString());
    }

    @Test
    void startWithoutItsKeysExitsOneWithOneLine() throws Exception {
        Result r = run("start", "--port", "0", "--in-memory", "--event-key", "k");
        assertEquals(1, r.exit(), r.toString());
        assertEquals(List.of("devserver: cannot start: production mode needs a signing key (--signing-key or INNGEST_SIGNING_KEY);"
                + " generate one with: openssl rand -hex 32"), r.errLines(), r.toString());
    }

    @Test
    void theStoreQueueNeedsNoSunMiscUnsafeOnNewJdks() throws Exception {
        // java -jar as a user types it, without ./loom's --sun-misc-unsafe-memory-access=allow: JDK 24+ names
        // every library that calls sun.misc.Unsafe, and JCTools' Unsafe queues did on the first event.
        Path err = dir.resolve("stderr-plain.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        devserver = new ProcessBuilder(List.of(java, "-jar", StandaloneJar.path().toString(), "--port", "0", "--in-memory"))
                .redirectError(err.toFile())
                .start();
        Matcher m = START_LINE.matcher(startLine(devserver, err));
        assertTrue(m.matches());
        new Api(m.group(1)).send("jar/unsafe", Map.of("ok", true));
        devserver.destroy();
        assertTrue(devserver.waitFor(15, TimeUnit.SECONDS));
        String log = Files.readString(err);
        assertTrue(!log.contains("org.jctools"), log);
    }

    @Test
    void startsOnAFreePortAnswersAndStopsOnSigterm() throws Exception {
        Path err = dir.resolve("stderr.log");
        devserver = new ProcessBuilder(StandaloneJar.command(List.of(), List.of("--port", "0", "--in-memory")))
                .redirectError(err.toFile())
                .start();
        String line = startLine(devserver, err);
        Matcher m = START_LINE.matcher(line);
        assertTrue(m.matches(), line);
        assertTrue(line.endsWith("data in memory (lost on exit)"), line);
        Api api = new Api(m.group(1));

        Api.Response health = api.request("GET", "/health", null);
        assertEquals(200, health.status(), health.text());
        assertEquals(200, health.json().get("status").asInt(), health.text());
        // The SQLite driver and its native library load from the jar: an event is stored and read back.
        String id = api.send("jar/smoke", Map.of("ok", true));
        assertEquals("jar/smoke", api.get("/v1/events/" + id).path("data").path("name").asText(), "the event is stored");
        // The MCP endpoint's SDK is in the jar (Reactor, the JSON schema validator that checks a tool's arguments).
        Api.Response mcp = api.request("POST", "/mcp", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                + "\"params\":{\"name\":\"send_event\",\"arguments\":{\"name\":\"jar/mcp\"}}}");
        assertEquals(200, mcp.status(), mcp.text());
        assertEquals(false, mcp.json().path("result").path("isError").asBoolean(true), mcp.text());
        assertEquals(1, api.get("/v1/events?name=jar/mcp").path("data").size(), "the tool sent the event");
        // The web UI's files are in the jar.
        Api.Response ui = api.request("GET", "/", null);
        assertEquals(200, ui.status());
        assertTrue(ui.text().toLowerCase().startsWith("<!doctype html>"), ui.text());

        devserver.destroy(); // SIGTERM: the shutdown hook closes the server
        assertTrue(devserver.waitFor(15, TimeUnit.SECONDS), "the devserver stops on SIGTERM");
        assertEquals(143, devserver.exitValue(), "stopped by SIGTERM");
        String log = Files.readString(err);
        // slf4j-simple's provider is found through the merged service file; nothing failed.
        assertTrue(!log.contains("SLF4J") && !log.contains("Exception") && !log.contains("ERROR"), log);
    }

    // ---------------------------------------------------------------- helpers

    record Result(int exit, String out, String err) {
        /** Non-blank stderr lines, without the JVM's own notes about options from the environment. */
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank() && !l.startsWith("Picked up ")).toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private Result run(String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        var pb = new ProcessBuilder(StandaloneJar.command(List.of(), List.of(args)));
        pb.environment().keySet().removeIf(k -> k.startsWith("INNGEST_")); // start reads its keys from there
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        devserver = p;
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("java -jar devserver.jar " + String.join(" ", args) + " did not exit within 30 s");
        }
        return new Result(p.exitValue(), Files.readString(out).strip(), Files.readString(err));
    }

    /** The first stdout line, within 20 s; fails at once if the process exits without one. */
    private static String startLine(Process p, Path err) throws InterruptedException, IOException {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            boolean exited = !p.isAlive();
            String line = lines.poll(exited ? 500 : 100, TimeUnit.MILLISECONDS);
            if (line != null) {
                return line;
            }
            if (exited) {
                throw new AssertionError("the devserver exited (" + p.exitValue() + ") without a start-up line; stderr:\n"
                        + Files.readString(err));
            }
        }
        throw new AssertionError("no start-up line within 20 s; stderr:\n" + Files.readString(err));
    }
}
