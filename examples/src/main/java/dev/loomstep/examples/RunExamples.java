package dev.loomstep.examples;

import dev.loomstep.devserver.DevServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs the examples end to end on the embedded devserver: starts it, serves the example app over HTTP
 * and syncs it, connects the warehouse app's Connect worker to the devserver's gateway, sends the triggering events, shows each run progressing, and exits 0 once every run completed.
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
                case "--images" -> {
                    if (i + 1 >= args.length || !args[i + 1].matches("\\d{1,6}")) {
                        System.err.println("--images takes a number of images, e.g. --images 500");
                        System.exit(2);
                    }
                    images = Integer.parseInt(args[++i]);
                }
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
        var err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(out, err, keepRunning, images, Duration.ofSeconds(120)));
    }

    /**
     * Runs every example; returns the process exit code. With {@code keepRunning} the devserver takes
     * port {@value DevServer#DEFAULT_PORT} (1, with one line on {@code err}, if it is taken) and, after
     * success, blocks until killed.
     */
    static int run(PrintStream out, PrintStream err, boolean keepRunning, int images, Duration timeout) throws Exception {
        Examples started;
        try {
            started = Examples.start(keepRunning ? DevServer.DEFAULT_PORT : 0, out);
        } catch (Examples.PortInUseException e) {
            err.printf("port %d is in use; stop the other devserver or run without --keep-running (it then picks a free port)%n", e.port);
            return 1;
        }
        try (Examples examples = started) {
            int exit = examples.runAll(out, images, timeout);
            if (exit == 0 && keepRunning) {
                out.printf("Keeping the devserver up: open %s for the UI, Ctrl-C to stop.%n", examples.devUrl());
                Thread.currentThread().join();
            }
            return exit;
        }
    }
}
