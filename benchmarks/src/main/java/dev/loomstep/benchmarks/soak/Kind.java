package dev.loomstep.benchmarks.soak;

/**
 * The kinds of work in the soak's mix: one function of {@link SoakApp} each, the event that starts it,
 * and what one logical start sends. {@link #CHILD} is only invoked; {@link #DOOMED} fails for good and
 * its {@code onFailure} function must run once.
 */
enum Kind {
    /** Three sequential steps. */
    SEQ("seq", 14),
    /** A step, a durable sleep of 1–3 s, a step. */
    SLEEP("sleep", 10),
    /** A step, then waitForEvent that the driver's reply matches. */
    WAIT_MATCHED("wait", 8),
    /** The same function; no reply comes, the wait times out after 2 s. */
    WAIT_TIMED_OUT("wait", 6),
    /** step.invoke of {@link #CHILD}, then a step on its result. */
    INVOKE("invoke", 8),
    /** Only invoked by {@link #INVOKE}. */
    CHILD("child", 0),
    /** step.parallel over four steps. */
    FANOUT("fanout", 8),
    /** Three events of one key 100–300 ms apart, debounced 1 s: one run, with the last event. */
    DEBOUNCE("debounce", 8),
    /** {@link #BATCH_SIZE} events of one key in two requests 0.2–0.8 s apart: one batch run. */
    BATCH("batch", 8),
    /** Three events of one idempotency key, spread over seconds (and kills): one run. */
    IDEMPOTENT("idem", 8),
    /** Two steps under a concurrency limit of {@link SoakApp#CONCURRENCY}. */
    LIMITED("limited", 8),
    /** A step that fails its first attempt and is retried. */
    RETRY("retry", 8),
    /** A step that throws NonRetriableException: the run fails, its onFailure handler runs once. */
    DOOMED("doomed", 6),
    /**
     * Not a start of its own: the onFailure run each {@link #DOOMED} start must have, counted on its own
     * row (an onFailure function gets 2 attempts, as the JS SDK configures it, so it is the first to
     * suffer from an app that is away across both).
     */
    ON_FAILURE("doomed-failure", 0);

    static final int BATCH_SIZE = 4;
    static final String WAIT_REPLY_EVENT = "soak/wait.reply";

    final String id;
    final String event;
    /** Relative share of logical starts. */
    final int weight;

    Kind(String id, int weight) {
        this.id = id;
        this.event = "soak/" + id;
        this.weight = weight;
    }

    /** The composite function id, as the devserver lists it. */
    String function() {
        return SoakApp.APP_ID + "-" + id;
    }

}
