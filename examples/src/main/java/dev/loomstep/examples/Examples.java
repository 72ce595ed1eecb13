package dev.loomstep.examples;

import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.connect.LoomstepConnect;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.undertow.LoomstepServer;
import dev.loomstep.middleware.LoggingMiddleware;
import java.io.PrintStream;
import java.net.BindException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The examples on a running embedded devserver: {@link #start} brings up the devserver, serves the
 * example app to it over HTTP and the warehouse app over Connect (a worker dialling out to the
 * devserver's gateway, no endpoint of its own), {@link #runAll} sends the triggering events and follows every run to its end, and
 * both stay up until {@link #close}, so a test can look at the runs afterwards (in the web UI, say).
 */
final class Examples implements AutoCloseable {
    private final DevServer dev;
    private final LoomstepServer server;
    private final Loomstep app;
    private final LoomstepConnect warehouse;
    private final Map<String, String> runIds = new LinkedHashMap<>();

    private Examples(DevServer dev, LoomstepServer server, Loomstep app, LoomstepConnect warehouse) {
        this.dev = dev;
        this.server = server;
        this.app = app;
        this.warehouse = warehouse;
    }

    /** As {@link #start(int, PrintStream)}, printing the emails to standard output. */
    static Examples start(int port) {
        return start(port, System.out);
    }

    /**
     * Starts the devserver on {@code port} (0: any free port) and the example app, registered with it;
     * the app's emails are printed to {@code out} (give it the stream {@link #runAll} prints to).
     *
     * @throws PortInUseException when something already listens on {@code port}
     */
    static Examples start(int port, PrintStream out) {
        DevServer dev;
        try {
            dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.01).start();
        } catch (RuntimeException e) {
            if (port != 0 && causedBy(e, BindException.class)) {
                throw new PortInUseException(port, e);
            }
            throw e;
        }
        LoomstepServer server = null;
        LoomstepConnect warehouse = null;
        try {
            EmailSender emails = EmailSender.console(out);
            var scorer = ScoreInvoke.scoreUser();
            Loomstep app = Loomstep.builder("loomstep-examples").dev(dev.url())
                    .middleware(new LoggingMiddleware())
                    .functions(AccountCreatedFlow.function(emails, Duration.ofSeconds(1)), ImageFanOut.function(), scorer,
                            ScoreInvoke.onboarding(scorer), ExpenseApproval.function(emails))
                    .build();
            server = LoomstepServer.builder(app).port(0).start();
            server.register(dev.url());
            // Served over Connect: the worker dials out to the devserver's gateway; its connection syncs the app.
            Loomstep warehouseApp = Loomstep.builder(WAREHOUSE_APP).dev(dev.url()).functions(WarehouseRestock.function()).build();
            warehouse = LoomstepConnect.builder(warehouseApp).instanceId(WAREHOUSE_WORKER).maxConcurrency(8).build();
            warehouse.connect();
            return new Examples(dev, server, app, warehouse);
        } catch (RuntimeException | Error e) {
            if (warehouse != null) {
                warehouse.close();
            }
            if (server != null) {
                server.close();
            }
            dev.close();
            throw e;
        }
    }

    static final String WAREHOUSE_APP = "loomstep-examples-warehouse";
    static final String WAREHOUSE_WORKER = "warehouse-1";

    /** The devserver's port is taken (by another devserver, most likely). */
    static final class PortInUseException extends RuntimeException {
        final int port;

        PortInUseException(int port, Throwable cause) {
            super("port " + port + " is in use", cause);
            this.port = port;
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends every example's events, printing each run as it progresses, until all of them finished or
     * {@code timeout} passed; returns the exit code: 0 when every run completed, 1 otherwise.
     */
    int runAll(PrintStream out, int images, Duration timeout) throws InterruptedException {
        out.printf("devserver at %s, app served at %s (%d functions synced)%n", dev.url(), server.url(), app.functionsById().size());
        out.printf("app %s served over Connect by worker %s (%s), no endpoint of its own%n%n", WAREHOUSE_APP, WAREHOUSE_WORKER, warehouse.state());

        var watch = new RunWatcher(dev.url(), out);
        Duration appear = Duration.ofSeconds(10);

        String signup = app.send(Event.of(AccountCreatedFlow.ACCOUNT_CREATED,
                new AccountCreatedFlow.AccountCreated("u_ada", "ada@example.com", "Ada"))).get(0);
        String accountRun = started(watch.runOf(signup, "account-created", appear), "account-created");

        String album = app.send(Event.of(ImageFanOut.ALBUM_UPLOADED, new ImageFanOut.AlbumUploaded("album-1", images))).get(0);
        started(watch.runOf(album, "album-thumbnails", appear), "album-thumbnails");

        String onboarding = app.send(Event.of(ScoreInvoke.ONBOARDING_STARTED, new ScoreInvoke.Onboarding("u_ada"))).get(0);
        started(watch.runOf(onboarding, "onboarding", appear), "onboarding");

        String expense = app.send(Event.of(ExpenseApproval.SUBMITTED,
                new ExpenseApproval.ExpenseSubmitted("exp-7", "Grace", 12_900))).get(0);
        String expenseRun = started(watch.runOf(expense, "expense-approval", appear), "expense-approval");

        String counted = app.send(Event.of(WarehouseRestock.STOCK_COUNTED, new WarehouseRestock.StockCounted("north",
                List.of(new WarehouseRestock.Shelf("bolts", 3, 20), new WarehouseRestock.Shelf("nuts", 50, 20),
                        new WarehouseRestock.Shelf("washers", 0, 10))))).get(0);
        started(watch.runOf(counted, "restock", appear), "restock");

        // The waits resume only on events that arrive after they started waiting, as in production.
        watch.awaitStep(expenseRun, "manager-decision", Duration.ofSeconds(30));
        app.send(Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-7", true, "Linus")));
        watch.awaitStep(accountRun, "wait-for-activity", Duration.ofSeconds(30));
        app.send(Event.of(AccountCreatedFlow.FUNCTION_CREATED, Map.of("userId", "u_ada", "functionName", "nightly-report")));

        List<String> notCompleted = watch.awaitAll(timeout);
        out.println();
        if (!notCompleted.isEmpty()) {
            out.println("Some runs did not complete: " + notCompleted);
            return 1;
        }
        out.println("All runs completed.");
        return 0;
    }

    private String started(String runId, String label) {
        runIds.put(label, runId);
        return runId;
    }

    /** The runs {@link #runAll} started, by example: account-created, album-thumbnails, onboarding, expense-approval, restock. */
    Map<String, String> runIds() {
        return Map.copyOf(runIds);
    }

    /** The devserver's address, where its web UI and REST API are. */
    String devUrl() {
        return dev.url();
    }

    /** The address the example app is served at. */
    String appUrl() {
        return server.url();
    }

    /** Stops the apps (the Connect worker drains), then the devserver. */
    @Override
    public void close() {
        try {
            warehouse.close();
            server.close();
        } finally {
            dev.close();
        }
    }
}
