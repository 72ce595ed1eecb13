package dev.loomstep.devserver.store;

import java.util.List;

/**
 * A page of the runs list: every filter is optional (null or empty: no filter). Runs are ordered by
 * when they started, or were queued while not started yet ({@code COALESCE(started_at, created_at)}),
 * newest first, which is the time the web UI shows.
 *
 * @param functionIds any of these functions
 * @param from        only runs whose {@code timeField} time is at or after this (epoch ms)
 * @param until       only runs whose {@code timeField} time is before this (epoch ms)
 * @param search      a run id or an event id (exact)
 * @param after       the cursor: the sort time and id of the last run of the previous page
 * @param timeField   the time {@code from} and {@code until} bound (started when null)
 * @param deferred    true: only runs another run deferred ({@code inngest/deferred.schedule}); false: none of them;
 *                    null: all runs
 */
public record RunQuery(List<RunStatus> statuses, List<String> functionIds, Long from, Long until, String search,
                       Cursor after, int limit, TimeField timeField, Boolean deferred) {

    /** Which of a run's times {@code from} and {@code until} bound; the list's order stays {@link #sortTime}. */
    public enum TimeField {
        /** When it started, or was queued while not started (the list's order): read from the indexes. */
        STARTED("COALESCE(started_at, created_at)"),
        /** When it was queued (created). */
        QUEUED("created_at"),
        /** When it ended; a running run has not. */
        ENDED("ended_at");

        final String column;

        TimeField(String column) {
            this.column = column;
        }

        /** {@code queued}, {@code started} or {@code ended}; null for anything else. */
        public static TimeField parse(String s) {
            for (TimeField f : values()) {
                if (f.name().equalsIgnoreCase(s)) {
                    return f;
                }
            }
            return null;
        }
    }

    /** A query whose time range bounds the start (the list's own order). */
    public RunQuery(List<RunStatus> statuses, List<String> functionIds, Long from, Long until, String search,
                    Cursor after, int limit) {
        this(statuses, functionIds, from, until, search, after, limit, TimeField.STARTED, null);
    }

    /** A query of all runs, deferred or not, whose time range bounds {@code timeField}. */
    public RunQuery(List<RunStatus> statuses, List<String> functionIds, Long from, Long until, String search,
                    Cursor after, int limit, TimeField timeField) {
        this(statuses, functionIds, from, until, search, after, limit, timeField, null);
    }

    public RunQuery {
        timeField = timeField == null ? TimeField.STARTED : timeField;
    }

    /** Where a page ended: the last run's sort time and id. */
    public record Cursor(long at, String runId) {}

    /** The time a run is sorted and filtered by. */
    public static long sortTime(RunRecord r) {
        return r.startedAt() != null ? r.startedAt() : r.createdAt();
    }
}
