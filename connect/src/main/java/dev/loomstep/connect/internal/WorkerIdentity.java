package dev.loomstep.connect.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.loomstep.Loomstep;
import dev.loomstep.connect.protocol.AppConfiguration;
import dev.loomstep.connect.protocol.SystemAttributes;
import dev.loomstep.protocol.Json;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.Locale;

/**
 * What a worker tells the gateway about itself in WORKER_CONNECT: the app with the same function
 * configurations an HTTP sync sends (each step's runtime is {@code ws} at {@code wss://connect/}, as
 * the JS worker registers them), the capabilities, the instance id and the machine.
 */
public record WorkerIdentity(String instanceId, String env, String sdkVersion, String capabilitiesJson, AppConfiguration app,
        SystemAttributes systemAttributes) {
    /** The URL the JS worker registers its steps at; the gateway routes by app, never by this URL. */
    static final String CONNECT_URL = "wss://connect/";
    static final String CAPABILITIES = "{\"trust_probe\":\"v1\",\"connect\":\"v1\"}";

    public static WorkerIdentity of(Loomstep app, String instanceId) {
        JsonNode sync = Json.toTree(app.syncRequest(CONNECT_URL, "connect"));
        JsonNode functions = sync.path("functions");
        for (JsonNode fn : functions) {
            for (JsonNode step : fn.path("steps")) {
                if (step.path("runtime") instanceof ObjectNode runtime) {
                    runtime.put("type", "ws");
                }
            }
        }
        var appConfig = AppConfiguration.newBuilder().setAppName(app.appId())
                .setFunctions(ByteString.copyFrom(Json.toBytes(functions)));
        JsonNode version = sync.get("appVersion");
        if (version != null && version.isTextual() && !version.asText().isBlank()) {
            appConfig.setAppVersion(version.asText());
        }
        String env = app.config().env();
        return new WorkerIdentity(instanceId == null || instanceId.isBlank() ? hostName() : instanceId,
                env == null || env.isBlank() ? null : env, "v" + Loomstep.VERSION, CAPABILITIES, appConfig.build(), machine());
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }

    /** Cores, memory and the OS named as Node's os.platform() names it (what the gateway shows for JS workers). */
    static SystemAttributes machine() {
        long mem = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            mem = os.getTotalMemorySize();
        }
        String name = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        String os = name.startsWith("linux") ? "linux" : name.startsWith("mac") ? "darwin" : name.startsWith("windows") ? "win32"
                : name.replace(' ', '-');
        return SystemAttributes.newBuilder().setCpuCores(Runtime.getRuntime().availableProcessors()).setMemBytes(mem).setOs(os).build();
    }
}
