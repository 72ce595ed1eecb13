package dev.loomstep.benchmarks.soak;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak's record of side effects, outside every process under test: an append-only text file that
 * the SDK app writes one line to per step execution (and fsyncs before the step returns), and the
 * driver reads at the end. A line is the step's side effect: if the app dies before the line is on
 * disk, the side effect did not happen.
 *
 * <p>Line: {@code startedMs \t endedMs \t runId \t function \t step \t attempt \t outcome \t pid}; a
 * torn last line (a kill mid-write) is ignored.
 */
final class Ledger implements AutoCloseable {
    /** One execution of a step body. {@code outcome}: {@code ok} or {@code error}. */
    record Entry(long startedMs, long endedMs, String runId, String function, String step, int attempt,
                 String outcome, long pid) {}

    private final FileChannel channel;

    Ledger(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (channel.size() > 0) {
            // A previous process may have died mid-line: end that torn line so it cannot swallow the next one.
            ByteBuffer last = ByteBuffer.allocate(1);
            try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
                r.read(last, r.size() - 1);
            }
            if (last.get(0) != '\n') {
                channel.write(ByteBuffer.wrap(new byte[] {'\n'}));
            }
        }
    }

    /** Appends one execution and forces it to disk before returning. */
    synchronized void record(long startedMs, String runId, String function, String step, int attempt, String outcome)
            throws IOException {
        String line = startedMs + "\t" + System.currentTimeMillis() + "\t" + runId + "\t" + function + "\t" + step
                + "\t" + attempt + "\t" + outcome + "\t" + ProcessHandle.current().pid() + "\n";
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            channel.write(b);
        }
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Every complete line of the file, in order. */
    static List<Entry> read(Path file) throws IOException {
        var out = new ArrayList<Entry>();
        if (!Files.exists(file)) {
            return out;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return out;
        }
        for (String line : text.substring(0, end).split("\n")) {
            String[] f = line.split("\t");
            if (f.length != 8) {
                continue; // a line torn by a kill and followed by a later append
            }
            try {
                out.add(new Entry(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], f[3], f[4], Integer.parseInt(f[5]),
                        f[6], Long.parseLong(f[7])));
            } catch (NumberFormatException torn) {
                // as above
            }
        }
        return out;
    }
}
