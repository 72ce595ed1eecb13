package dev.loomstep.devserver;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A Loomstep app with one {@link #BRANCHES}-way fan-out ({@code fan}: branch i's step returns i, the run
 * returns the sum) in a JVM of its own, so a test can SIGKILL it in the middle of the fan-out:
 * {@code FanOutAppMain <devserver URL> <port> <ledger file> <hold|free|gate file>}. Every branch body
 * appends {@code "end <i>"} to the ledger with one write once it is done (a write survives a SIGKILL of
 * this process); with {@code hold} the bodies of branches {@code >= BRANCHES / 2} never end, with a gate
 * file they end once that file exists. Default
 * checkpointing: the fan-out runs inside the call. Prints {@link #READY} once synced.
 */
public final class FanOutAppMain {
    static final String READY = "fan-out-app ready";
    static final int BRANCHES = 1000;

    public static void main(String[] args) throws Exception {
        String devUrl = args[0];
        int port = Integer.parseInt(args[1]);
        Path ledger = Path.of(args[2]);
        boolean hold = args[3].equals("hold");
        Path gate = hold || args[3].equals("free") ? null : Path.of(args[3]);
        FileChannel out = FileChannel.open(ledger, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        var fan = Function.builder("fan").trigger(Trigger.event("crash/fan")).retries(10).handler((input, step) -> {
            var branches = new ArrayList<Callable<Integer>>(BRANCHES);
            for (int i = 0; i < BRANCHES; i++) {
                int at = i;
                branches.add(() -> step.run("b" + at, Integer.class, () -> {
                    if (hold && at >= BRANCHES / 2) {
                        Thread.sleep(Long.MAX_VALUE); // until the test kills this process
                    }
                    while (gate != null && at >= BRANCHES / 2 && !Files.exists(gate)) {
                        Thread.sleep(20); // until the test opens the gate
                    }
                    record(out, "end " + at + "\n");
                    return at;
                }));
            }
            List<Integer> parts = step.parallel(branches);
            return parts.stream().mapToLong(Integer::longValue).sum();
        });
        var app = Loomstep.builder("fanapp").dev(devUrl).functions(fan).build();
        var server = LoomstepServer.builder(app).host("127.0.0.1").port(port).start();
        server.sync();
        System.out.println(READY);
        Thread.currentThread().join();
    }

    private static void record(FileChannel out, String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        synchronized (out) {
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    /** How many times each branch's body ended, from a ledger. */
    static int[] ends(Path ledger) throws IOException {
        int[] n = new int[BRANCHES];
        if (Files.exists(ledger)) {
            for (String line : Files.readAllLines(ledger)) {
                if (line.startsWith("end ")) {
                    n[Integer.parseInt(line.substring(4))]++;
                }
            }
        }
        return n;
    }
}
