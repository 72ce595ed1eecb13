package dev.loomstep.devserver.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A few read-only connections to an on-disk database, lent out one read at a time. In WAL mode they
 * read the last commit while the writer works on the next batch, so a read outside a unit (the REST
 * API's listings, the executor's lookups) never queues behind the writer. Such a read only ever needs
 * committed state: a caller hears of its unit only after the commit, so it always sees its own writes.
 */
final class Readers implements AutoCloseable {
    @FunctionalInterface
    interface Query<T> {
        T run(Tables t) throws SQLException;
    }

    private final BlockingQueue<Tables> idle;
    private final List<Tables> all = new ArrayList<>();
    private volatile boolean closed;

    Readers(String url, int count) throws SQLException {
        this.idle = new ArrayBlockingQueue<>(count);
        try {
            for (int i = 0; i < count; i++) {
                Connection reader = DriverManager.getConnection(url);
                var tables = new Tables(new Sql(reader));
                all.add(tables);
                try (Statement s = reader.createStatement()) {
                    s.execute("PRAGMA query_only=1");
                    s.execute("PRAGMA busy_timeout=5000");
                }
                idle.add(tables);
            }
        } catch (SQLException e) {
            closeConnections();
            throw e;
        }
    }

    <T> T read(Query<T> query) {
        Tables reader;
        try {
            do {
                if (closed) {
                    throw new StoreException("the devserver database is closed", null);
                }
            } while ((reader = idle.poll(100, TimeUnit.MILLISECONDS)) == null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a database reader", e);
        }
        try {
            return query.run(reader);
        } catch (SQLException e) {
            throw new StoreException("database error: " + e.getMessage(), e);
        } finally {
            idle.add(reader);
        }
    }

    /** Waits (up to 5 s each) for reads in progress to give their connection back, then closes them all. */
    @Override
    public void close() {
        closed = true;
        try {
            for (int i = 0; i < all.size(); i++) {
                idle.poll(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnections();
    }

    private void closeConnections() {
        StoreException failure = null;
        for (Tables t : all) {
            try {
                t.close();
            } catch (SQLException e) {
                failure = new StoreException("closing the devserver database failed: " + e.getMessage(), e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
