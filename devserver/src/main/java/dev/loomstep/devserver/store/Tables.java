package dev.loomstep.devserver.store;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/** Every aggregate over one connection: the writer's, or a reader's. */
final class Tables implements AutoCloseable {
    final Sql sql;
    final Apps apps;
    final Events events;
    final Runs runs;
    final Steps steps;
    final QueueItems queue;
    final Pauses pauses;
    final FlowStates flow;
    final Spans spans;
    final Metadata metadata;
    final Defers defers;

    Tables(Sql sql) {
        this.sql = sql;
        this.apps = new Apps(sql);
        this.events = new Events(sql);
        this.runs = new Runs(sql);
        this.steps = new Steps(sql);
        this.queue = new QueueItems(sql);
        this.pauses = new Pauses(sql);
        this.flow = new FlowStates(sql);
        this.spans = new Spans(sql);
        this.metadata = new Metadata(sql);
        this.defers = new Defers(sql);
    }

    Map<String, Long> counts() throws SQLException {
        var out = new HashMap<String, Long>();
        for (String t : Schema.TABLES) {
            out.put(t, sql.queryFirst("SELECT COUNT(*) AS n FROM " + t, rs -> rs.getLong("n")).orElse(0L));
        }
        return out;
    }

    @Override
    public void close() throws SQLException {
        sql.close();
    }
}
