package dev.loomstep.devserver.store;

import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.SyncRequest.FunctionConfig;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** Synced apps and their functions. */
final class Apps {
    private final Sql sql;

    Apps(Sql sql) {
        this.sql = sql;
    }

    void upsertApp(AppRecord app) throws SQLException {
        sql.update("""
                INSERT INTO apps(id, url, sdk, framework, app_version, synced_at) VALUES (?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET url=excluded.url, sdk=excluded.sdk, framework=excluded.framework,
                  app_version=excluded.app_version, synced_at=excluded.synced_at""",
                app.id(), app.url(), app.sdk(), app.framework(), app.appVersion(), app.syncedAt());
    }

    /** Removes an app and its functions; false when there was no such app. */
    boolean deleteApp(String appId) throws SQLException {
        sql.update("DELETE FROM functions WHERE app_id = ?", appId);
        return sql.update("DELETE FROM apps WHERE id = ?", appId) > 0;
    }

    List<AppRecord> apps() throws SQLException {
        return sql.query("SELECT * FROM apps ORDER BY id", rs -> new AppRecord(
                rs.getString("id"), rs.getString("url"), rs.getString("sdk"), rs.getString("framework"),
                rs.getString("app_version"), rs.getLong("synced_at")));
    }

    void replaceFunctions(String appId, List<FunctionRecord> functions) throws SQLException {
        sql.update("DELETE FROM functions WHERE app_id = ?", appId);
        for (FunctionRecord f : functions) {
            // A function id moving to another app is taken over by the app syncing it now.
            sql.update("""
                    INSERT INTO functions(id, app_id, config, updated_at) VALUES (?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET app_id=excluded.app_id, config=excluded.config,
                      updated_at=excluded.updated_at""",
                    f.id(), appId, Json.toString(f.config()), f.updatedAt());
        }
    }

    List<FunctionRecord> functions() throws SQLException {
        return sql.query("SELECT * FROM functions ORDER BY id", Apps::functionRecord);
    }

    private static FunctionRecord functionRecord(ResultSet rs) throws SQLException {
        return new FunctionRecord(rs.getString("id"), rs.getString("app_id"),
                Sql.read(rs.getString("config"), FunctionConfig.class), rs.getLong("updated_at"));
    }
}
