package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.test.DevHandle;
import dev.loomstep.test.DevRun;
import dev.loomstep.test.LoomstepExtension;
import dev.loomstep.test.RunResult;
import dev.loomstep.test.RunStatus;
import dev.loomstep.test.StepResult;
import dev.loomstep.test.TestEngine;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every example function run twice — on loomstep-test's in-process TestEngine and on the real
 * devserver through LoomstepExtension — must give the same output and the same completed steps in
 * the same order. A disagreement means the test engine does not behave as an executor does.
 */
@Timeout(120)
class EngineAgreesWithDevserverTest {
    static final RecordingEmailSender EMAILS = new RecordingEmailSender();
    static final Function<ScoreInvoke.ScoreRequest, ScoreInvoke.Score> SCORER = ScoreInvoke.scoreUser();
    static final List<Function<?, ?>> FUNCTIONS = List.of(AccountCreatedFlow.function(EMAILS, Duration.ofMillis(20)),
            ImageFanOut.function(), SCORER, ScoreInvoke.onboarding(SCORER), ExpenseApproval.function(EMAILS));

    @RegisterExtension
    static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("agree").functions(FUNCTIONS));

    TestEngine engine(int index) {
        return TestEngine.builder(FUNCTIONS.get(index)).appId("agree").functions(FUNCTIONS.toArray(Function[]::new)).build();
    }

    @Test
    void theAccountCreatedFlowsTimeoutBranchAgrees(DevHandle dev) {
        Event signup = Event.of(AccountCreatedFlow.ACCOUNT_CREATED, new AccountCreatedFlow.AccountCreated("u_1", "a@example.com", "Ada"));
        RunResult unit = engine(0).trigger(signup).run();

        String eventId = dev.send(signup);
        dev.awaitStep(eventId, "wait-for-activity");
        dev.advanceTime(Duration.ofHours(73));
        agree(unit, dev.awaitRun(eventId));
    }

    @Test
    void theAccountCreatedFlowsEventBranchAgrees(DevHandle dev) {
        Event signup = Event.of(AccountCreatedFlow.ACCOUNT_CREATED, new AccountCreatedFlow.AccountCreated("u_2", "b@example.com", "Bo"));
        Event created = Event.of(AccountCreatedFlow.FUNCTION_CREATED, new AccountCreatedFlow.FunctionCreated("u_2", "report"));
        RunResult unit = engine(0).trigger(signup).receive(created).run();

        String eventId = dev.send(signup);
        dev.awaitStep(eventId, "wait-for-activity");
        dev.send(created);
        agree(unit, dev.awaitRun(eventId));
    }

    @Test
    void theFanOutAgrees(DevHandle dev) {
        Event album = Event.of(ImageFanOut.ALBUM_UPLOADED, new ImageFanOut.AlbumUploaded("al_1", 4));
        RunResult unit = engine(1).trigger(album).run();
        assertEquals(List.of(List.of("thumbnail-0", "thumbnail-1", "thumbnail-2", "thumbnail-3")), unit.parallelBranches());
        agree(unit, dev.awaitRun(dev.send(album)));
    }

    @Test
    void theInvokedAndTheInvokingFunctionAgree(DevHandle dev) {
        Event score = Event.of("app/score.requested", new ScoreInvoke.ScoreRequest("u_3", 2));
        agree(engine(2).trigger(score).run(), dev.awaitRun(dev.send(score)));

        Event onboarding = Event.of(ScoreInvoke.ONBOARDING_STARTED, new ScoreInvoke.Onboarding("u_3"));
        agree(engine(3).trigger(onboarding).run(), dev.awaitRun(dev.send(onboarding)));
    }

    @Test
    void theExpenseApprovalAgreesOnBothBranches(DevHandle dev) {
        Event submitted = Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-1", "Grace", 4_200));
        Event decided = Event.of(ExpenseApproval.DECIDED, new ExpenseApproval.Decision("exp-1", true, "Linus"));
        RunResult approved = engine(4).trigger(submitted).receive(decided).run();
        String eventId = dev.send(submitted);
        dev.awaitStep(eventId, "manager-decision");
        dev.send(decided);
        agree(approved, dev.awaitRun(eventId));

        Event other = Event.of(ExpenseApproval.SUBMITTED, new ExpenseApproval.ExpenseSubmitted("exp-2", "Ada", 100));
        RunResult escalated = engine(4).trigger(other).run();
        String otherId = dev.send(other);
        dev.awaitStep(otherId, "manager-decision");
        dev.advanceTime(Duration.ofHours(25));
        agree(escalated, dev.awaitRun(otherId));
    }

    private static void agree(RunResult unit, DevRun real) {
        assertEquals(RunStatus.COMPLETED, unit.status(), unit.toString());
        assertEquals("Completed", real.status(), real.toString());
        assertEquals(real.output(), unit.output(), "output\n" + unit + "\n" + real);
        List<String> unitSteps = unit.steps().stream().filter(StepResult::succeeded).map(StepResult::id).toList();
        assertEquals(inOrder(real.completedSteps(), unit.parallelBranches()), inOrder(unitSteps, unit.parallelBranches()),
                "completed steps in order\n" + unit + "\n" + real);
    }

    /** The steps in order, except that a parallel fan-out's branches, which finish in any order on the devserver, are sorted. */
    private static List<String> inOrder(List<String> steps, List<List<String>> branches) {
        var out = new java.util.ArrayList<String>();
        var done = new java.util.HashSet<List<String>>();
        for (String id : steps) {
            List<String> group = branches.stream().filter(g -> g.contains(id)).findFirst().orElse(null);
            if (group == null) {
                out.add(id);
            } else if (done.add(group)) {
                out.addAll(steps.stream().filter(group::contains).sorted().toList());
            }
        }
        return out;
    }
}
