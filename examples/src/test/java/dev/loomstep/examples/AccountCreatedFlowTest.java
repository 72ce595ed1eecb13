package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.LoomstepServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.devserver.MovableClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@link AccountCreatedFlow} and {@link ExpenseApproval} on an embedded devserver whose clock
 * the test moves: both branches of each waitForEvent, the timeout ones (72 hours without the user's
 * first function: the nudge; a day without the manager: escalation) included, with a recording
 * {@link EmailSender} in place of the console one.
 */
@Timeout(60)
class AccountCreatedFlowTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    final MovableClock clock = new MovableClock(Instant.parse("2030-03-01T09:00:00Z"));
    final RecordingEmailSender emails = new RecordingEmailSender();
    final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    final HttpClient http = HttpClient.newHttpClient();
    DevServer dev;
    LoomstepServer server;
    Loomstep app;
    RunWatcher watch;

    @BeforeEach
    void start() {
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).clock(clock).start();
        app = Loomstep.builder("examples-flow-test").dev(dev.url())
                .functions(AccountCreatedFlow.function(emails, Duration.ofMillis(20)), ExpenseApproval.function(emails))
                .build();
        server = LoomstepServer.builder(app).port(0).start();
        server.register(dev.url());
        watch = new RunWatcher(dev.url(), new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (dev != null) {
                dev.close();
            }
        }
    }

    @Test
    void withoutTheUsersFirstFunctionWithin72HoursTheyGetANudge() throws Exception {
        String runId = signUp("u_grace", "grace@example.com", "Grace");
        watch.awaitStep(runId, "wait-for-activity", WAIT);

        // Another user's first function does not end Grace's wait (the `if` compares user ids).
        app.send(Event.of(AccountCreatedFlow.FUNCTION_CREATED, Map.of("userId", "u_linus", "functionName", "cron-job")));
        Thread.sleep(300);
        assertEquals("Running", run(runId).path("status").asText(), progress());
        assertEquals(List.of("grace@example.com: Welcome to Loomstep, Grace"), emails.to("grace@example.com"));

        clock.advance(Duration.ofHours(72).plusMinutes(1));
        JsonNode run = awaitEnd(runId);

        assertEquals("Completed", run.path("status").asText(), run.toString());
        assertEquals(Json.mapper().readTree("{\"welcomed\":true,\"followUp\":\"nudged\"}"), run.path("output"), run.toString());
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-nudge"), completedSteps(run), run.toString());
        assertEquals(List.of("grace@example.com: Welcome to Loomstep, Grace", "grace@example.com: Need a hand getting started?"),
                emails.to("grace@example.com"));
        assertEquals(2, emails.sent().size(), emails.sent().toString());
    }

    @Test
    void theUsersFirstFunctionWithin72HoursGetsThemCongratulated() throws Exception {
        String runId = signUp("u_ada", "ada@example.com", "Ada");
        watch.awaitStep(runId, "wait-for-activity", WAIT);

        clock.advance(Duration.ofHours(71)); // late, but within the 72 hours
        app.send(Event.of(AccountCreatedFlow.FUNCTION_CREATED, Map.of("userId", "u_ada", "functionName", "nightly-report")));
        JsonNode run = awaitEnd(runId);

        assertEquals("Completed", run.path("status").asText(), run.toString());
        assertEquals(Json.mapper().readTree("{\"welcomed\":true,\"followUp\":\"congratulated\"}"), run.path("output"), run.toString());
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-congrats"), completedSteps(run), run.toString());
        assertEquals(List.of("ada@example.com: Welcome to Loomstep, Ada", "ada@example.com: Your first function: nightly-report"),
                emails.to("ada@example.com"));
        assertEquals(2, emails.sent().size(), emails.sent().toString());
    }

    @Test
    void anExpenseWithoutADecisionWithinADayIsEscalated() throws Exception {
        String eventId = app.send(Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-9", "Grace", 4_200))).get(0);
        String runId = watch.runOf(eventId, "expense-approval", WAIT);
        watch.awaitStep(runId, "manager-decision", WAIT);
        // A decision on another expense is not this one's.
        app.send(Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-1", true, "Linus")));
        Thread.sleep(300);
        assertEquals("Running", run(runId).path("status").asText(), progress());

        clock.advance(Duration.ofHours(24).plusMinutes(1));
        JsonNode run = awaitEnd(runId);

        assertEquals("Completed", run.path("status").asText(), run.toString());
        assertEquals("escalated: no decision within a day", run.path("output").asText(), run.toString());
        assertEquals(List.of("ask-manager", "manager-decision", "escalate"), completedSteps(run), run.toString());
        assertEquals(List.of("manager@example.com: Approve 42.0 for Grace?"), emails.to("manager@example.com"));
    }

    @Test
    void aDecisionWithinTheDayIsFollowed() throws Exception {
        String eventId = app.send(Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-3", "Ada", 1_050))).get(0);
        String runId = watch.runOf(eventId, "expense-approval", WAIT);
        watch.awaitStep(runId, "manager-decision", WAIT);
        app.send(Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-3", false, "Linus")));
        JsonNode run = awaitEnd(runId);

        assertEquals("Completed", run.path("status").asText(), run.toString());
        assertEquals("rejected by Linus", run.path("output").asText(), run.toString());
        assertEquals(List.of("ask-manager", "manager-decision", "reject"), completedSteps(run), run.toString());
    }

    private String signUp(String userId, String email, String name) throws InterruptedException {
        String eventId = app.send(Event.of(AccountCreatedFlow.ACCOUNT_CREATED,
                new AccountCreatedFlow.AccountCreated(userId, email, name))).get(0);
        return watch.runOf(eventId, "account-created", WAIT);
    }

    private JsonNode awaitEnd(String runId) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode run = run(runId);
        while (run.path("status").asText("Running").equals("Running") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            run = run(runId);
        }
        return run;
    }

    private JsonNode run(String runId) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(dev.url() + "/v1/runs/" + runId)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return Json.mapper().readTree(r.body()).path("data");
    }

    private static List<String> completedSteps(JsonNode run) {
        var names = new ArrayList<String>();
        for (JsonNode step : run.path("steps")) {
            if (step.path("status").asText().equals("completed")) {
                names.add(step.path("name").asText());
            }
        }
        return names;
    }

    private String progress() {
        return progress.toString(StandardCharsets.UTF_8);
    }
}
