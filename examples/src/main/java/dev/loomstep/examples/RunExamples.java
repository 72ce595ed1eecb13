package dev.loomstep.examples;

import dev.loomstep.devserver.DevServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs the examples end to end on the embedded devserver: starts it, serves the example app over HTTP,
 * syncs, sends the triggering events, shows each run progressing, and exits 0 once every run completed.
 *
 * <pre>
 * ./loom example                    # run and exit
 * ./loom example --keep-running     # then keep the devserver (UI at http://127.0.0.1:8288) and app up
 * ./loom example --images 500       # a wider fan-out
 * </pre>
 */
public final class RunExamples {
    private RunExamples() {}

    public static void main(String[] args) throws Exception {
        boolean keepRunning = false;
        int images = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keep-running" -> keepRunning = true;
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: RunExamples [--keep-running] [--images N]");
                    return;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + "; try --help");
                    System.exit(2);
                }
            }
        }
        var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.exit(run(out, keepRunning, images, Duration.ofSeconds(120)));
    }

    /** Runs every example; returns the process exit code. With {@code keepRunning}, after success, blocks until killed. */
    static int run(PrintStream out, boolean keepRunning, int images, Duration timeout) throws Exception {
        try (Examples examples = Examples.start(keepRunning ? DevServer.DEFAULT_PORT : 0)) {
            int exit = examples.runAll(out, images, timeout);
            if (exit == 0 && keepRunning) {
                out.printf("Keeping the devserver up: open %s for the UI, Ctrl-C to stop.%n", examples.devUrl());
                Thread.currentThread().join();
            }
            return exit;
        }
    }
}
