package dev.loomstep.benchmarks.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the driver's TSV lines ({@link E2eDriver}) into one Markdown table, each row with its ratios
 * to the peer's row at the same concurrency: runs/s ÷ peer (higher is better) and p50 ÷ peer (lower
 * is better).
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.e2e.E2eTable results.tsv --peer Restate</pre>
 */
public final class E2eTable {
    private E2eTable() {}

    record Row(String system, int concurrency, double runsPerSecond, double p50, double p99, int runs) {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !args[1].equals("--peer")) {
            throw new IllegalArgumentException("usage: E2eTable RESULTS.tsv --peer SYSTEM");
        }
        System.out.print(table(read(Path.of(args[0])), args[2]));
    }

    static List<Row> read(Path tsv) throws Exception {
        var rows = new ArrayList<Row>();
        for (String line : Files.readAllLines(tsv)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            rows.add(new Row(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Integer.parseInt(f[5])));
        }
        return rows;
    }

    static String table(List<Row> rows, String peer) {
        Map<Integer, Row> peers = new LinkedHashMap<>();
        rows.stream().filter(r -> r.system().equals(peer)).forEach(r -> peers.put(r.concurrency(), r));
        var sb = new StringBuilder();
        sb.append("| system | concurrent runs | runs/s | p50 | p99 | runs measured | runs/s ÷ ").append(peer)
                .append(" | p50 ÷ ").append(peer).append(" |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            Row p = peers.get(r.concurrency());
            String ratios = p == null ? "– | –" : String.format(Locale.ROOT, "%.2f× | %.2f×",
                    r.runsPerSecond() / p.runsPerSecond(), r.p50() / p.p50());
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %,.1f | %s | %s | %,d | %s |%n", r.system(), r.concurrency(),
                    r.runsPerSecond(), ms(r.p50()), ms(r.p99()), r.runs(), ratios));
        }
        return sb.toString();
    }

    private static String ms(double ms) {
        return ms >= 100 ? String.format(Locale.ROOT, "%,.0f ms", ms) : String.format(Locale.ROOT, "%.1f ms", ms);
    }
}
