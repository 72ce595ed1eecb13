package dev.loomstep.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Java program in its own JVM that prints one ready line on stdout when it serves, as the standalone
 * devserver ({@code Loomstep devserver listening on …}) and the benchmark apps do: started, waited for,
 * and killed with SIGKILL like a crash. Everything it writes goes to a log file (appended, so a process
 * restarted many times keeps one log).
 *
 * <pre>{@code
 * var dev = ChildJvm.start(ChildJvm.java(List.of(), List.of("-jar", jar, "--port", "0")), Map.of(),
 *         log, "Loomstep devserver listening on ", Duration.ofSeconds(30));
 * dev.kill(); // SIGKILL, waits for the exit
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final String readyLine;

    private ChildJvm(Process process, String readyLine) {
        this.process = process;
        this.readyLine = readyLine;
    }

    /**
     * {@code java [jvmOptions] [args]} on the JDK running this JVM, with what {@code ./loom} adds on JDK 24+
     * ({@code --sun-misc-unsafe-memory-access=allow}, for Undertow's buffer cleanup).
     */
    public static List<String> java(List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .filter(c -> c.endsWith("java"))
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        var cmd = new ArrayList<String>();
        cmd.add(java);
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.add("-Dorg.jboss.logging.provider=slf4j");
        cmd.addAll(jvmOptions);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Starts {@code command} with {@code env} added to this process's environment, appends its stdout and
     * stderr to {@code log}, and returns once it printed a line starting with {@code readyPrefix}; fails
     * with the log's tail when it exits first or is not ready within {@code timeout} (then it is killed).
     */
    public static ChildJvm start(List<String> command, Map<String, String> env, Path log, String readyPrefix,
                                 Duration timeout) throws IOException, InterruptedException {
        var pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        BlockingQueue<String> ready = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                         java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(readyPrefix)) {
                        ready.add(line);
                    }
                    out.write(line);
                    out.newLine();
                    out.flush();
                }
            } catch (IOException ignored) {
                // the process died; its exit is what the caller sees
            }
            ready.add(""); // end of output: wakes a caller still waiting
        });
        String line = ready.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.isEmpty()) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException((line == null ? "not ready within " + timeout : "exited before it was ready")
                    + ": " + String.join(" ", command) + "\n" + tail(log, 30));
        }
        return new ChildJvm(p, line);
    }

    /** The ready line it printed. */
    public String readyLine() {
        return readyLine;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, then waits for the exit; answers the exit code (137 when the kill did it). */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " did not exit within 30 s of SIGKILL");
        }
        return process.exitValue();
    }

    /** Kills it if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The last {@code lines} lines of a log, for a failure message. */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }
}
