package dev.loomstep.devserver.executor;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A JFR event per call to an SDK endpoint, split into its phases, so a recording shows where a run's
 * latency goes. Costs nothing unless a recording enables {@value #NAME}.
 */
@Name(SdkCallEvent.NAME)
@Label("SDK call")
@Category({"Loomstep", "Devserver"})
@Description("One call of the devserver to an SDK endpoint: preparing it, the HTTP round trip, committing the answer")
@StackTrace(false)
public final class SdkCallEvent extends Event {
    public static final String NAME = "dev.loomstep.devserver.SdkCall";

    @Label("Run")
    String runId;

    @Label("Kind")
    @Description("DISCOVER (stepId=step) or STEP (a targeted planned step)")
    String kind;

    @Label("Prepare")
    @Description("Marking the call started and building the request from the stored steps")
    @Timespan(Timespan.NANOSECONDS)
    long prepare;

    @Label("HTTP round trip")
    @Description("Sending the request and reading the whole answer, the SDK's own work included")
    @Timespan(Timespan.NANOSECONDS)
    long http;

    @Label("Commit")
    @Description("The transaction that stores the answer and queues what follows")
    @Timespan(Timespan.NANOSECONDS)
    long commit;
}
