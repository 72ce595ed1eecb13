package dev.loomstep.gettingstarted;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Step;
import dev.loomstep.examples.AccountCreatedFlow.AccountCreated;
import dev.loomstep.examples.EmailSender;
import java.time.Instant;
import java.util.List;

/**
 * What the README's short fragments (the step API tour, the testing examples) take as given: the step
 * handle, a billing service and its records, the account-created flow's pieces. {@link ReadmeSnippetsTest}
 * compiles each fragment as the body of a subclass, so a fragment that stops compiling fails the build.
 */
public abstract class ReadmeContext {
    public record Order(String id) {}
    public record Invoice(String id, Instant dueAt) {}
    public record Line(String sku, int quantity) {}
    public record Payment(String invoiceId, long cents) {}
    public record ScoreRequest(String userId) {}
    public record Score(int value) {}
    public record Image(String id, String url) {}
    public record Thumbnail(String id, String url) {}

    public interface Billing {
        Invoice create(Order order);

        List<Line> lines(Invoice invoice);
    }

    public interface Slack {
        void post(String text);
    }

    protected Step step;
    protected Billing billing;
    protected Order order;
    protected Slack slack;
    protected Function<ScoreRequest, Score> scoreUser;
    protected String userId;
    protected List<Image> images;
    protected EmailSender emails;

    protected static Function<?, ?> accountCreated;
    protected static Event signup;

    protected Thumbnail resize(Image image) {
        return new Thumbnail(image.id(), image.url() + "?w=128");
    }

    protected String nudge(AccountCreated user) {
        return "nudged " + user.userId();
    }
}
