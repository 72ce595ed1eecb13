package dev.loomstep;

/**
 * Options of {@link Step#defer}: which function runs once this run has finished, and with which data.
 *
 * <pre>{@code
 * step.defer("send-receipt", Defer.function(sendReceipt).data(new Receipt(orderId, total)));
 * }</pre>
 *
 * The target is a function triggered by {@link Trigger#deferred()}. Its run starts after this run ends
 * (completed, failed or cancelled) with {@code data} as its event's data, plus {@code _inngest} naming this
 * run ({@code parent_run_id}, {@code parent_fn_slug}).
 *
 * @param data a value that serialises to a JSON object (a record, a map); null is {@code {}}
 */
public record Defer(Function<?, ?> target, String compositeId, Object data) {

    /** Defers a run of a function of this app. */
    public static Defer function(Function<?, ?> target) {
        return new Defer(Checks.notNull(target, "the function to defer"), null, null);
    }

    /**
     * Defers a run of a function by id: the id of a function of this app ({@code "receipt"}), else a composite
     * id ({@code {appId}-{functionId}}) of a function of any app the executor knows, as {@link Invoke#function(String)}.
     */
    public static Defer function(String id) {
        return new Defer(null, Checks.notBlank(id, "the id of the function to defer"), null);
    }

    /** Defers a run of function {@code functionId} of app {@code appId}. */
    public static Defer function(String appId, String functionId) {
        return new Defer(null, Checks.notBlank(appId, "the app id of the function to defer") + "-"
                + Checks.notBlank(functionId, "the id of the function to defer"), null);
    }

    /** The deferred run's event data. */
    public Defer data(Object payload) {
        return new Defer(target, compositeId, payload);
    }

    /** The slug ({@code {appId}-{functionId}}) the executor knows the target by, deferred from {@code app}. */
    public String functionSlug(Loomstep app) {
        if (target != null) {
            return app.appId() + "-" + target.id();
        }
        String local = app.appId() + "-" + compositeId;
        return app.function(local).isPresent() ? local : compositeId;
    }
}
