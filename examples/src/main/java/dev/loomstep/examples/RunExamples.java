package dev.loomstep.examples;

import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.LoomstepServer;
import dev.loomstep.middleware.LoggingMiddleware;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs the examples end to end on the embedded devserver: starts it, serves the example app over HTTP,
 * syncs, sends the triggering events, shows each run progressing, and exits 0 once every run completed.
 *
 * <pre>
 * ./loom example                    # run and exit
 * ./loom example --keep-running     # then keep the devserver (UI at http://127.0.0.1:8288) and app up
 * ./loom example --images 500       # a wider fan-out
 * </pre>
 */
public final class RunExamples {
    private RunExamples() {}

    public static void main(String[] args) throws Exception {
        boolean keepRunning = false;
        int images = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keep-running" -> keepRunning = true;
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: RunExamples [--keep-running] [--images N]");
                    return;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + "; try --help");
                    System.exit(2);
                }
            }
        }
        var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.exit(run(out, keepRunning, images, Duration.ofSeconds(120)));
    }

    /** Runs every example; returns the process exit code. */
    static int run(PrintStream out, boolean keepRunning, int images, Duration timeout) throws Exception {
        DevServer dev = DevServer.builder().port(keepRunning ? DevServer.DEFAULT_PORT : 0).inMemory().retryDelayScale(0.01).start();
        LoomstepServer server = null;
        try {
            EmailSender emails = EmailSender.console();
            var scorer = ScoreInvoke.scoreUser();
            Loomstep app = Loomstep.builder("loomstep-examples").dev(dev.url())
                    .middleware(new LoggingMiddleware())
                    .functions(AccountCreatedFlow.function(emails, Duration.ofSeconds(1)), ImageFanOut.function(), scorer,
                            ScoreInvoke.onboarding(scorer), ExpenseApproval.function(emails))
                    .build();
            server = LoomstepServer.builder(app).port(0).start();
            server.register(dev.url());
            out.printf("devserver at %s, app served at %s (%d functions synced)%n%n", dev.url(), server.url(), app.functionsById().size());

            var watch = new RunWatcher(dev.url(), out);
            Duration appear = Duration.ofSeconds(10);

            String signup = app.send(Event.of(AccountCreatedFlow.ACCOUNT_CREATED,
                    new AccountCreatedFlow.AccountCreated("u_ada", "ada@example.com", "Ada"))).get(0);
            String accountRun = watch.runOf(signup, "account-created", appear);

            String album = app.send(Event.of(ImageFanOut.ALBUM_UPLOADED, new ImageFanOut.AlbumUploaded("album-1", images))).get(0);
            watch.runOf(album, "album-thumbnails", appear);

            String onboarding = app.send(Event.of(ScoreInvoke.ONBOARDING_STARTED, new ScoreInvoke.Onboarding("u_ada"))).get(0);
            watch.runOf(onboarding, "onboarding", appear);

            String expense = app.send(Event.of(ExpenseApproval.SUBMITTED,
                    new ExpenseApproval.ExpenseSubmitted("exp-7", "Grace", 12_900))).get(0);
            String expenseRun = watch.runOf(expense, "expense-approval", appear);

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
            if (keepRunning) {
                out.printf("Keeping the devserver up: open %s for the UI, Ctrl-C to stop.%n", dev.url());
                Thread.currentThread().join();
            }
            return 0;
        } finally {
            if (server != null) {
                server.close();
            }
            dev.close();
        }
    }
}
