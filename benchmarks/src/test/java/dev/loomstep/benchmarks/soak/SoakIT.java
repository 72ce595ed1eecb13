package dev.loomstep.benchmarks.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI-sized fault-injection soak: 150 logical starts of every kind over a minute, the standalone
 * devserver jar and the app each SIGKILLed 5 times at seeded random moments, the app away 10 s once;
 * then every start must have exactly one run with the right output, no step may run again after its
 * output was committed, and no acknowledged event may be dropped. The full soak (1,000 starts, 20 + 20
 * kills, a 60 s outage) is {@code benchmarks/soak/soak.sh}. Logs, ledger and report stay in
 * {@code benchmarks/target/soak-it/} (and {@code soak-it-production/} for the run in production mode).
 */
class SoakIT {
    /** Kept after the run (unlike a temp dir): the processes' logs, the ledger and report.txt, for a failure. */
    static final Path DIR = Path.of("target", "soak-it").toAbsolutePath();

    @Test
    @Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aSoakWithSigkillsAndAnOutageLosesDuplicatesReExecutesAndDropsNothing() throws Exception {
        soak(false, Long.getLong("loomstep.soak.seed", 12), DIR);
    }

    /** The same against the devserver run as a service ({@code start}: keys required, calls signed, sync full). */
    @Test
    @Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
    void theSameSoakInProductionModeLosesNothingEither() throws Exception {
        soak(true, Long.getLong("loomstep.soak.seed", 12) + 1, DIR.resolveSibling("soak-it-production"));
    }

    private static void soak(boolean production, long seed, Path dir) throws Exception {
        var o = new SoakOptions();
        o.production = production;
        o.starts = 150;
        o.window = Duration.ofSeconds(60);
        o.devserverKills = 5;
        o.appKills = 5;
        o.outage = Duration.ofSeconds(10);
        o.idempotencySpread = Duration.ofSeconds(8);
        o.settle = Duration.ofSeconds(120);
        o.seed = seed;
        o.workDir = dir;
        o.devserverJar = Path.of(System.getProperty("loomstep.devserver.jar", "../devserver/target/devserver.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(o.devserverJar), "the devserver jar " + o.devserverJar + " is built by the reactor "
                + "before this module (./loom mvn -B -pl benchmarks -am verify)");
        String knownGaps = System.getProperty("loomstep.soak.knownGaps", "");
        if (!knownGaps.isBlank()) {
            o.knownGaps(knownGaps);
        }

        Accounting.Report report = SoakDriver.run(o, System.out::println);

        System.out.println(report.table());
        Files.writeString(dir.resolve("report.txt"), report.table() + "\n" + report.details());
        assertEquals(5, report.devserverKills());
        assertEquals(6, report.appKills(), "5 kills and the outage");
        assertTrue(report.clean(), report.table() + "\n" + report.details());
    }
}
