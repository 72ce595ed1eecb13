package dev.loomstep.devserver.internal;

import dev.loomstep.devserver.DevServer;
import java.net.BindException;
import java.nio.file.Path;

/** The standalone devserver's command line. */
public final class Cli {
    static final String USAGE = """
            usage: java -jar devserver.jar [options]
              --port N                 port to listen on (default 8288; 0 = any free port)
              --host HOST              interface to listen on (default 127.0.0.1; 0.0.0.0 = all)
              --db FILE                SQLite file with the devserver's state (default ./loomstep-dev.db)
              --in-memory              keep state in memory only (lost on exit)
              --sync full|normal       normal (default): commits survive a crash of the process;
                                       full: they also survive power loss (an fsync per commit)
              --signing-key KEY        ask SDKs' checkpoint calls for this key's bearer (default: none, dev mode)
              -u, --sdk-url URL        sync the app served at URL at start (repeatable)
              --retry-delay-scale F    multiply retry delays (15s, 30s, 1m ... 2h) by F, e.g. 0.01
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
            b = parse(args);
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
        return "Loomstep devserver listening on " + server.url() + " (events: POST " + server.url() + "/e/{key}, runs: "
                + server.url() + "/v1/runs) — data " + (server.database() == null
                        ? "in memory (lost on exit)"
                        : "in " + server.database() + " (sync " + server.synchronous().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    /** Parses flags into a builder, or returns null for --help. */
    static DevServer.Builder parse(String[] args) {
        DevServer.Builder b = DevServer.builder();
        boolean db = false;
        boolean memory = false;
        for (int i = 0; i < args.length; i++) {
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
                case "--signing-key" -> b.signingKey(value != null ? value : next(args, ++i, a));
                case "--port" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    try {
                        b.port(Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--port needs a number, got \"" + v + "\"");
                    }
                }
                case "--host" -> b.host(value != null ? value : next(args, ++i, a));
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
                default -> throw new IllegalArgumentException("unknown option \"" + args[i] + "\"");
            }
        }
        if (db && memory) {
            throw new IllegalArgumentException("--db and --in-memory exclude each other");
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
