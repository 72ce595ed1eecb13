package dev.loomstep.benchmarks.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one soak does: how many logical starts over how long, how many SIGKILLs of each process, the
 * one long outage of the app, and what is passed through to the devserver and the app (so the same soak
 * runs in the devserver's default mode and in a production-like one with keys).
 */
final class SoakOptions {
    int starts = 1_000;
    Duration window = Duration.ofMinutes(6);
    int devserverKills = 20;
    int appKills = 20;
    Duration outage = Duration.ofSeconds(60);
    /** How far apart the three events of an idempotency key may be. */
    Duration idempotencySpread = Duration.ofSeconds(20);
    /** How long to wait, after the last start and kill, for every run to end. */
    Duration settle = Duration.ofMinutes(5);
    long seed = 1;
    Path workDir;
    Path devserverJar;
    String appClasspath = System.getProperty("java.class.path");
    String checkpointing = "on";
    double retryDelayScale = 0.2;
    String eventKey = "soak";
    /**
     * Production-like mode: the devserver runs as {@code start} (event key required, calls signed, API
     * calls verified, {@code --sync full}) and the app in cloud mode with the keys, as a service would.
     */
    boolean production;
    /** The signing key of production-like mode (hex after the prefix, as Inngest's keys are). */
    static final String PRODUCTION_SIGNING_KEY = "signkey-prod-5a0c3e7f9b1d24686acef13579bdf02468ace13579bdf02468ace13579bdf024";
    final List<String> devserverArgs = new ArrayList<>();
    final Map<String, String> appEnv = new LinkedHashMap<>();
    /** Headers sent with every REST API request, e.g. a key in production-like mode. */
    final Map<String, String> apiHeaders = new LinkedHashMap<>();
    /** Kinds whose failures are printed but do not fail the soak: gaps known and tracked elsewhere. */
    final java.util.Set<Kind> knownGaps = java.util.EnumSet.noneOf(Kind.class);

    void knownGaps(String commaSeparated) {
        for (String k : commaSeparated.split(",")) {
            if (!k.isBlank()) {
                knownGaps.add(Kind.valueOf(k.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_')));
            }
        }
    }

    static final String USAGE = """
            usage: SoakDriver --devserver-jar JAR --work-dir DIR [options]
              --starts N               logical starts (default 1000)
              --window-seconds S       spread starts and kills over S seconds (default 360)
              --devserver-kills N      SIGKILLs of the devserver (default 20)
              --app-kills N            SIGKILLs of the SDK app (default 20)
              --outage-seconds S       the app is away this long once (default 60; 0 = never)
              --idempotency-spread-seconds S  (default 20)
              --settle-seconds S       afterwards, wait for every run to end while something moves; give up after S with nothing moving (default 300)
              --seed N                 randomness: which kinds, when, which kills (default 1)
              --checkpointing on|off   the app's checkpointing (default on)
              --retry-delay-scale F    the devserver's (default 0.2: the first retry 3–9 s later, past an app restart; 8 retries outlast a 60 s outage)
              --classpath CP           the app's class path (default: this JVM's)
              --event-key KEY          POST /e/KEY (default soak)
              --production             production-like mode: devserver `start` with a signing key and the event key,
                                       the app in cloud mode holding both keys (INNGEST_BASE_URL, no INNGEST_DEV)
              --devserver-arg ARG      passed to the devserver (repeatable), e.g. --devserver-arg --sync --devserver-arg full
              --app-env NAME=VALUE     set in the app's environment (repeatable), e.g. INNGEST_SIGNING_KEY=...
              --api-header NAME=VALUE  sent with every REST API call (repeatable)
                                       ({devserver} in --devserver-arg and --app-env values becomes the devserver's URL)
              --known-gaps K,K         kinds (e.g. debounce,batch,idempotent) reported but not failing the exit code
            """;

    static SoakOptions parse(String[] args) {
        var o = new SoakOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                return null;
            }
            if (a.equals("--production")) {
                o.production = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--starts" -> o.starts = Integer.parseInt(v);
                case "--window-seconds" -> o.window = Duration.ofSeconds(Long.parseLong(v));
                case "--devserver-kills" -> o.devserverKills = Integer.parseInt(v);
                case "--app-kills" -> o.appKills = Integer.parseInt(v);
                case "--outage-seconds" -> o.outage = Duration.ofSeconds(Long.parseLong(v));
                case "--idempotency-spread-seconds" -> o.idempotencySpread = Duration.ofSeconds(Long.parseLong(v));
                case "--settle-seconds" -> o.settle = Duration.ofSeconds(Long.parseLong(v));
                case "--seed" -> o.seed = Long.parseLong(v);
                case "--work-dir" -> o.workDir = Path.of(v).toAbsolutePath();
                case "--devserver-jar" -> o.devserverJar = Path.of(v).toAbsolutePath();
                case "--classpath" -> o.appClasspath = v;
                case "--checkpointing" -> {
                    if (!v.equals("on") && !v.equals("off")) {
                        throw new IllegalArgumentException("--checkpointing on|off, got " + v);
                    }
                    o.checkpointing = v;
                }
                case "--retry-delay-scale" -> o.retryDelayScale = Double.parseDouble(v);
                case "--event-key" -> o.eventKey = v;
                case "--devserver-arg" -> o.devserverArgs.add(v);

                case "--app-env" -> put(o.appEnv, a, v);
                case "--api-header" -> put(o.apiHeaders, a, v);
                case "--known-gaps" -> o.knownGaps(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (o.workDir == null || o.devserverJar == null) {
            throw new IllegalArgumentException("--work-dir and --devserver-jar are required");
        }
        return o;
    }

    private static void put(Map<String, String> into, String flag, String nameValue) {
        int eq = nameValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(flag + " takes NAME=VALUE, got " + nameValue);
        }
        into.put(nameValue.substring(0, eq), nameValue.substring(eq + 1));
    }

    @Override
    public String toString() {
        return "starts=" + starts + " window=" + window.toSeconds() + "s devserverKills=" + devserverKills
                + " appKills=" + appKills + " outage=" + outage.toSeconds() + "s seed=" + seed
                + " checkpointing=" + checkpointing + " retryDelayScale=" + retryDelayScale
                + (production ? " production" : "")
                + (devserverArgs.isEmpty() ? "" : " devserverArgs=" + devserverArgs)
                + (appEnv.isEmpty() ? "" : " appEnv=" + appEnv.keySet())
                + (knownGaps.isEmpty() ? "" : " knownGaps=" + knownGaps);
    }
}
