package dev.loomstep.benchmarks.dbos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.dbos.transact.DBOS;
import dev.dbos.transact.config.DBOSConfig;
import dev.dbos.transact.workflow.Workflow;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The DBOS twin of the benchmark function: a DBOS Transact workflow of {@code steps} sequential
 * durable steps ({@code dbos.runStep}), step {@code i} returning {@code i}, the workflow returning
 * their sum; DBOS checkpoints every step in its system database on PostgreSQL.
 *
 * <p>DBOS is a library, not a server: the user's own process starts workflows. This app exposes
 * the workflow as a user would, request/response like Restate's ingress: {@code POST /run} calls the
 * workflow through its DBOS proxy (which starts it durably and waits for its result) and answers
 * the result as JSON. The HTTP server is the JDK's, one virtual thread per request, bound to
 * 127.0.0.1.
 *
 * <pre>java -cp ... dev.loomstep.benchmarks.dbos.StepsApp --jdbc jdbc:postgresql://127.0.0.1:PORT/postgres
 *     [--user postgres] [--password ...] [--pool 10] [--steps 10] [--port 0]</pre>
 * Prints {@code dbos-app ready http://127.0.0.1:PORT/run} once serving.
 */
public final class StepsApp {
    /** The workflow's interface: DBOS proxies it. */
    public interface Steps {
        int run();
    }

    /** The workflow: {@code steps} sequential steps, each checkpointed by DBOS before the next runs. */
    public static final class StepsImpl implements Steps {
        private final DBOS dbos;
        private final int steps;

        StepsImpl(DBOS dbos, int steps) {
            this.dbos = dbos;
            this.steps = steps;
        }

        @Override
        @Workflow(name = "steps")
        public int run() {
            int sum = 0;
            for (int i = 0; i < steps; i++) {
                int v = i;
                sum += dbos.runStep(() -> v, "step-" + i);
            }
            return sum;
        }
    }

    private StepsApp() {}

    public static void main(String[] args) throws Exception {
        String jdbc = null;
        String user = "postgres";
        String password = "";
        int pool = 10;
        int steps = 10;
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdbc" -> jdbc = args[++i];
                case "--user" -> user = args[++i];
                case "--password" -> password = args[++i];
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (jdbc == null) {
            throw new IllegalArgumentException("--jdbc jdbc:postgresql://HOST:PORT/DB is required");
        }

        // The pool DBOS would build itself (SystemDatabase.createDataSource: HikariCP, 10 connections),
        // except that its size is ours to state: --pool, 10 by default.
        var hc = new HikariConfig();
        hc.setJdbcUrl(jdbc);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(pool);
        hc.setMinimumIdle(pool);
        hc.setConnectionTimeout(30_000);
        hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        var dataSource = new HikariDataSource(hc);

        var dbos = new DBOS(DBOSConfig.defaults("loomstep-bench").withDataSource(dataSource));
        Steps workflow = dbos.registerProxy(Steps.class, new StepsImpl(dbos, steps));
        dbos.launch();

        var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/run", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("POST")) {
                    answer(exchange, 405, "POST only");
                    return;
                }
                exchange.getRequestBody().readAllBytes();
                int result;
                try {
                    result = workflow.run(); // starts the workflow durably and returns its result
                } catch (RuntimeException e) {
                    answer(exchange, 500, String.valueOf(e));
                    return;
                }
                answer(exchange, 200, Integer.toString(result));
            }
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            dbos.shutdown();
            dataSource.close();
        }));
        System.out.println("dbos-app ready http://127.0.0.1:" + server.getAddress().getPort() + "/run"
                + " (DBOS " + DBOS.version() + ", pool " + pool + ")");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status == 200 ? "application/json" : "text/plain");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
