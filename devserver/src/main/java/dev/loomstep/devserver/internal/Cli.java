package dev.loomstep.devserver.internal;

import dev.loomstep.devserver.DevServer;
import java.net.BindException;
import dev.loomstep.devserver.auth.ApiAccess;
import java.nio.file.Path;
import java.util.Map;

/** The standalone devserver's command line. */
public final class Cli {
    static final String USAGE = """
            usage: java -jar devserver.jar [start] [options]
              start                    production mode, like `inngest start`: requires --signing-key and
                                       --event-key (or INNGEST_SIGNING_KEY / INNGEST_EVENT_KEY), signs
                                       calls to SDKs, checks their API calls, defaults to --sync full
              --port N                 port to listen on (default 8288; 0 = any free port)
              --host HOST              interface to listen on (default 127.0.0.1; 0.0.0.0 = all)
              --connect-gateway-port N port of the Connect gateway, where workers without a public
                                       endpoint connect (default 8289 beside port 8288, else any free port)
              --no-connect             no Connect gateway (/v0/connect/start answers 503)
              --db FILE                SQLite file with the devserver's state (default ./loomstep-dev.db)
              --in-memory              keep state in memory only (lost on exit)
              --sync full|normal       normal (default): commits survive a crash of the process;
                                       full: they also survive power loss (an fsync per commit)
              --signing-key KEY        ask SDKs' checkpoint calls for this key's bearer (default: none, dev mode);
                                       with start: hex (openssl rand -hex 32), signs calls, guards the API
              --event-key KEY          with start: an event key POST /e/{key} takes (repeatable)
              --api-access loopback|key  with start: the REST API and UI are open to this machine and need
                                       the signing key's bearer from elsewhere (loopback, default), or always (key)
              -u, --sdk-url URL        sync the app served at URL at start (repeatable)
              --retry-delay-scale F    multiply retry delays (15s, 30s, 1m ... 2h) by F, e.g. 0.01
              --max-concurrent-calls N the most queue items (SDK calls, mostly) handled at once (default 1000)
              --max-calls-per-app N    the most calls in flight to one app endpoint (scheme://host:port); the
                                       rest wait their turn (default 100)
              -h, --help               show this help""";

    private Cli() {}

    public static void main(String[] args) {
        // Before any Undertow class loads: its logging goes through SLF4J, and only warnings of it show.
        setDefault("org.jboss.logging.provider", "slf4j");
        setDefault("org.slf4j.simpleLogger.log.org.xnio", "warn");
        setDefault("org.slf4j.simpleLogger.log.io.undertow", "warn");
        setDefault("org.slf4j.simpleLogger.log.org.jboss", "warn");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        DevServer.Builder b;
        try {
            b = parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("devserver: " + e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        if (b == null) {
            System.out.println(USAGE);
            return;
        }
        DevServer server;
        try {
            server = b.start();
        } catch (RuntimeException e) {
            System.err.println("devserver: cannot start: " + reason(e));
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "loomstep-dev-shutdown"));
        System.out.println(startLine(server));
    }

    static String startLine(DevServer server) {
        return "Loomstep devserver " + (server.production() ? "(production mode) " : "") + "listening on " + server.url() + " (events: POST " + server.url() + "/e/{key}, runs: "
                + server.url() + "/v1/runs" + (server.connectPort() < 0 ? "" : ", Connect gateway: ws://127.0.0.1:" + server.connectPort() + "/v0/connect")
                + ") — data " + (server.database() == null
                        ? "in memory (lost on exit)"
                        : "in " + server.database() + " (sync " + server.synchronous().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    /** Parses flags into a builder, or returns null for --help (no environment: dev mode's defaults). */
    static DevServer.Builder parse(String[] args) {
        return parse(args, Map.of());
    }

    /**
     * Parses flags into a builder, or returns null for --help. With {@code start} first, production mode: the
     * keys come from the flags, else from {@code INNGEST_SIGNING_KEY} / {@code INNGEST_EVENT_KEY} in {@code env}
     * (as {@code inngest start} reads them).
     */
    static DevServer.Builder parse(String[] args, Map<String, String> env) {
        DevServer.Builder b = DevServer.builder();
        boolean db = false;
        boolean memory = false;
        boolean production = args.length > 0 && args[0].equals("start");
        boolean signingKey = false;
        boolean eventKey = false;
        boolean apiAccess = false;
        boolean connectPort = false;
        boolean noConnect = false;
        for (int i = production ? 1 : 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--in-memory" -> {
                    memory = true;
                    b.inMemory();
                }
                case "--signing-key" -> {
                    signingKey = true;
                    b.signingKey(value != null ? value : next(args, ++i, a));
                }
                case "--event-key" -> {
                    eventKey = true;
                    b.eventKey(value != null ? value : next(args, ++i, a));
                }
                case "--api-access" -> {
                    apiAccess = true;
                    String v = value != null ? value : next(args, ++i, a);
                    switch (v) {
                        case "loopback" -> b.apiAccess(ApiAccess.LOOPBACK_OR_KEY);
                        case "key" -> b.apiAccess(ApiAccess.KEY);
                        default -> throw new IllegalArgumentException("--api-access needs loopback or key, got \"" + v + "\"");
                    }
                }
                case "--port" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    try {
                        b.port(Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--port needs a number, got \"" + v + "\"");
                    }
                }
                case "--host" -> b.host(value != null ? value : next(args, ++i, a));
                case "--connect-gateway-port" -> {
                    connectPort = true;
                    String v = value != null ? value : next(args, ++i, a);
                    try {
                        b.connectPort(Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--connect-gateway-port needs a number, got \"" + v + "\"");
                    }
                }
                case "--no-connect" -> {
                    noConnect = true;
                    b.noConnect();
                }
                case "--db" -> {
                    db = true;
                    b.database(Path.of(value != null ? value : next(args, ++i, a)));
                }
                case "--sync" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    switch (v) {
                        case "full" -> b.synchronous(DevServer.Sync.FULL);
                        case "normal" -> b.synchronous(DevServer.Sync.NORMAL);
                        default -> throw new IllegalArgumentException("--sync needs full or normal, got \"" + v + "\"");
                    }
                }
                case "-u", "--sdk-url" -> b.sync(value != null ? value : next(args, ++i, a));
                case "--retry-delay-scale" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    try {
                        b.retryDelayScale(Double.parseDouble(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--retry-delay-scale needs a number, got \"" + v + "\"");
                    }
                }
                case "--max-concurrent-calls" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    int calls;
                    try {
                        calls = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--max-concurrent-calls needs a whole number of at least 1, got \"" + v + "\"");
                    }
                    if (calls < 1) {
                        throw new IllegalArgumentException("--max-concurrent-calls needs a whole number of at least 1, got \"" + v + "\"");
                    }
                    b.maxConcurrentCalls(calls);
                }
                case "--max-calls-per-app" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    int calls;
                    try {
                        calls = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        calls = 0;
                    }
                    if (calls < 1) {
                        throw new IllegalArgumentException("--max-calls-per-app needs a whole number of at least 1, got \"" + v + "\"");
                    }
                    b.maxCallsPerApp(calls);
                }
                default -> throw new IllegalArgumentException("unknown option \"" + args[i] + "\"");
            }
        }
        if (connectPort && noConnect) {
            throw new IllegalArgumentException("--connect-gateway-port and --no-connect exclude each other");
        }
        if (db && memory) {
            throw new IllegalArgumentException("--db and --in-memory exclude each other");
        }
        if (!production) {
            if (eventKey || apiAccess) {
                throw new IllegalArgumentException("--event-key and --api-access belong to production mode: java -jar devserver.jar start ...");
            }
            return b;
        }
        b.production();
        if (!signingKey && env.get("INNGEST_SIGNING_KEY") != null && !env.get("INNGEST_SIGNING_KEY").isBlank()) {
            b.signingKey(env.get("INNGEST_SIGNING_KEY"));
        }
        if (!eventKey && env.get("INNGEST_EVENT_KEY") != null && !env.get("INNGEST_EVENT_KEY").isBlank()) {
            b.eventKey(env.get("INNGEST_EVENT_KEY").trim());
        }
        return b;
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static void setDefault(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return "the port is taken or the host is not local (" + t.getMessage() + ")";
            }
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
