package dev.loomstep.devserver.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.expr.RunSearch;
import dev.loomstep.devserver.store.RunQuery;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import java.util.List;

/**
 * {@code GET /v1/runs?expression=...}: the runs whose CEL expression ({@link RunSearch}) is true, newest
 * first, within the other filters. No index answers an expression, so a request reads the filtered list
 * in its order, a batch at a time, and stops after {@value #MAX_SCANNED} runs: the page then has what
 * matched so far and a {@code next_cursor} to read on from, so a search costs the same however big the store.
 */
final class ExpressionSearch {
    static final int MAX_SCANNED = 5_000;
    private static final int BATCH = 250;

    private final Store store;
    private final RunView view;

    ExpressionSearch(Store store, RunView view) {
        this.store = store;
        this.view = view;
    }

    /** Compiles {@code expression}, or a 400 with one line saying what is wrong with it. */
    static RunSearch compile(String expression) {
        try {
            return RunSearch.compile(expression);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("expression: " + e.getMessage());
        }
    }

    /** A page of the runs {@code q} lists (its cursor where to start, its limit the page's size) that match. */
    ObjectNode page(RunQuery q, RunSearch search) {
        ArrayNode out = Json.nodes().arrayNode();
        RunQuery.Cursor at = q.after();
        int scanned = 0;
        boolean exhausted = false; // the last batch was the list's end, and was read to its end
        while (!exhausted && out.size() < q.limit() && scanned < MAX_SCANNED) {
            List<RunRecord> batch = store.runs(new RunQuery(q.statuses(), q.functionIds(), q.from(), q.until(), q.search(), at,
                    BATCH, q.timeField()));
            int read = 0;
            for (RunRecord r : batch) {
                scanned++;
                read++;
                at = new RunQuery.Cursor(RunQuery.sortTime(r), r.id());
                if (search.matches(r.event() == null ? null : Json.toTree(r.event()), r.output(), Views.run(r, null, null))) {
                    out.add(view.row(r));
                }
                if (out.size() == q.limit() || scanned >= MAX_SCANNED) {
                    break;
                }
            }
            exhausted = batch.size() < BATCH && read == batch.size();
        }
        String next = exhausted || at == null ? null : Rest.cursor(at.at(), at.runId());
        ObjectNode page = Rest.page(out, next);
        page.put("scanned", scanned);
        return page;
    }
}
