package dev.loomstep.devserver.store;

import java.util.List;

/**
 * A page of the runs list: every filter is optional (null or empty: no filter). Runs are ordered by
 * when they started, or were queued while not started yet ({@code COALESCE(started_at, created_at)}),
 * newest first, which is the time the web UI shows.
 *
 * @param functionIds any of these functions
 * @param from        only runs whose sort time is at or after this (epoch ms)
 * @param until       only runs whose sort time is before this (epoch ms)
 * @param search      a run id or an event id (exact)
 * @param after       the cursor: the sort time and id of the last run of the previous page
 * @param deferred    true: only runs another run deferred ({@code inngest/deferred.schedule}); false: none of them;
 *                    null: all runs
 */
public record RunQuery(List<RunStatus> statuses, List<String> functionIds, Long from, Long until, String search,
                       Cursor after, int limit, Boolean deferred) {

    /** A query of all runs, deferred or not. */
    public RunQuery(List<RunStatus> statuses, List<String> functionIds, Long from, Long until, String search, Cursor after, int limit) {
        this(statuses, functionIds, from, until, search, after, limit, null);
    }

    /** Where a page ended: the last run's sort time and id. */
    public record Cursor(long at, String runId) {}

    /** The time a run is sorted and filtered by. */
    public static long sortTime(RunRecord r) {
        return r.startedAt() != null ? r.startedAt() : r.createdAt();
    }
}
