package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.connect.ConnectionState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Connect worker's health, independent of the Boot generation whose health API reports it: UP while
 * connected and taking requests, DOWN while it has no connection (reconnecting, or its last try to
 * connect failed, or its configuration is refused, with the reason), OUT_OF_SERVICE while it drains,
 * UNKNOWN before its first connection. Both starters' {@code LoomstepConnectHealthIndicator} report it.
 *
 * @param status  the Spring Boot status code
 * @param details the details, in the order they are shown
 */
record ConnectHealth(String status, Map<String, Object> details) {

    static ConnectHealth of(LoomstepConnectWorker worker, Loomstep app) {
        var details = new LinkedHashMap<String, Object>();
        details.put("appId", app.appId());
        details.put("mode", app.config().mode());
        details.put("functions", app.functions().size());
        details.put("executor", app.config().apiOrigin());
        details.put("servedBy", "connect");
        if (worker.instanceId() != null) {
            details.put("instanceId", worker.instanceId());
        }
        ConnectionState state = worker.state();
        details.put("state", state == null ? "NOT_STARTED" : state.name());
        String error = worker.lastError();
        if (error != null) {
            details.put("connectError", error);
            details.put("failedAt", String.valueOf(worker.lastErrorAt()));
        }
        String notYet = error != null ? "DOWN" : "UNKNOWN"; // before a first connection, or while connecting
        String status = state == null ? notYet : switch (state) {
            case ACTIVE -> "UP";
            case CONNECTING -> notYet;
            case RECONNECTING, CLOSED -> "DOWN";
            case PAUSED, CLOSING -> "OUT_OF_SERVICE";
        };
        return new ConnectHealth(status, details);
    }
}
