package dev.loomstep.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a JFR recording of a benchmark (see {@code benchmarks/profile.sh}) and splits its CPU samples
 * into the parts of a call request, so a profile answers "where does the time go" in the engine's
 * terms rather than as a list of JDK methods. A sample goes to the first "work" bucket, in the order
 * below, that any frame of its stack matches (so SHA-1 inside a step counts as hashing, not as the
 * step); failing that, to the "mechanics" bucket of its leaf-most matching frame. Only running Java
 * code is sampled: time a thread spends waiting to be woken (a hand-off between threads) shows in the
 * benchmark's wall time, not here.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.ProfileBuckets recording.jfr</pre>
 */
public final class ProfileBuckets {
    private record Bucket(String label, List<String> patterns) {
        boolean matches(String frame) {
            for (String p : patterns) {
                if (frame.contains(p)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final List<Bucket> WORK = List.of(
            new Bucket("request: parse the body into a CallRequest (Jackson)", List.of("ObjectMapper.readValue", "ObjectMapper._readMapAndClose")),
            new Bucket("answer: serialise the ops/result (Json.toBytes)", List.of("dev.loomstep.protocol.Json.toBytes")),
            new Bucket("step: SHA-1 of the step id (StepIds.hash)", List.of("dev.loomstep.protocol.StepIds.")),
            new Bucket("step: Json.mapper().constructType per call", List.of("ObjectMapper.constructType")),
            new Bucket("step: decode the memo (Codec.read, Memo)", List.of("dev.loomstep.internal.run.Codec.read", "dev.loomstep.internal.run.Memo.", "RunExecution.memoizedData")),
            new Bucket("step: repeat counter (HashMap.merge)", List.of("java.util.HashMap.merge")),
            new Bucket("step: memo lookup (steps.get)", List.of("java.util.LinkedHashMap.get", "java.util.HashMap.get", "java.util.HashMap.containsKey")),
            new Bucket("broker: park, baton hand-off, fork, unwind", List.of("Broker.park", "Broker.passBaton", "Broker.fork", "Broker.decide", "Broker.finished", "Branch.give", "Branch.await")),
            new Bucket("user code (the benchmark's function)", List.of("lambda$setUp")),
            new Bucket("caller: waiting for the answer (CompletableFuture)", List.of("java.util.concurrent.CompletableFuture")));

    private static final List<Bucket> MECHANICS = List.of(
            new Bucket("virtual threads: start, mount, park", List.of("java.lang.VirtualThread", "jdk.internal.vm.Continuation", "java.lang.ThreadBuilders", "java.util.concurrent.locks.LockSupport", "java.lang.Thread.")),
            new Bucket("scheduler: ForkJoinPool carriers", List.of("java.util.concurrent.ForkJoin")),
            new Bucket("engine: other (RunExecution, Runs, Branch)", List.of("dev.loomstep.")));

    private static final String OTHER = "other (JMH, JIT, JFR, class loading)";

    private ProfileBuckets() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ProfileBuckets <recording.jfr>");
            System.exit(2);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            total++;
            var frames = new ArrayList<String>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
            counts.merge(bucketOf(frames), 1, Integer::sum);
        }
        System.out.printf("%d CPU samples%n", total);
        int all = Math.max(1, total);
        counts.entrySet().stream()
                .filter(c -> c.getValue() > 0)
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(c -> System.out.printf("%5.1f%%  %s%n", 100.0 * c.getValue() / all, c.getKey()));
    }

    private static String bucketOf(List<String> frames) {
        for (Bucket b : WORK) {
            for (String frame : frames) {
                if (b.matches(frame)) {
                    return b.label();
                }
            }
        }
        for (String frame : frames) { // leaf first
            for (Bucket b : MECHANICS) {
                if (b.matches(frame)) {
                    return b.label();
                }
            }
        }
        return OTHER;
    }
}
