package dev.loomstep.devserver;

import dev.loomstep.testkit.JsPeer;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The setup the JS SDK interop tests share: the official JS SDK peer (one Node process serving the
 * {@code e2e} app, and the differential tests' {@code peer} app when asked) pointed at an in-memory
 * devserver on a free port, which syncs the apps with {@code -u} at start.
 */
final class JsPeerDevServer implements AutoCloseable {
    final DevServer dev;
    final JsPeer peer;
    final Api api;

    private JsPeerDevServer(DevServer dev, JsPeer peer) {
        this.dev = dev;
        this.peer = peer;
        this.api = new Api(dev);
    }

    /**
     * @param checkpointing the JS app's checkpointing ({@code PEER_CHECKPOINTING}); null for its default
     * @param env           more environment for the Node process
     * @param withPeerApp   also sync the {@code peer} app, not only {@code e2e}
     * @param devserver     more devserver options (a clock, …) on a builder that has port, in-memory
     *                      store, fast retries and the syncs set
     */
    static JsPeerDevServer start(Boolean checkpointing, Map<String, String> env, boolean withPeerApp,
                                 UnaryOperator<DevServer.Builder> devserver) throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        var all = new HashMap<>(env);
        all.put("INNGEST_API_BASE_URL", origin);
        all.put("INNGEST_EVENT_API_BASE_URL", origin);
        if (checkpointing != null) {
            all.put("PEER_CHECKPOINTING", checkpointing ? "on" : "off");
        }
        JsPeer peer = JsPeer.start(all);
        try {
            var b = DevServer.builder().port(port).inMemory().retryDelayScale(0.001);
            if (withPeerApp) {
                b.sync(peer.baseUrl());
            }
            b.sync(peer.baseUrl().replace("/api/inngest", "/api/e2e"));
            return new JsPeerDevServer(devserver.apply(b).start(), peer);
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    /**
     * An in-memory devserver on free ports (API and Connect gateway) with fast retries, and no HTTP peer:
     * its apps come from JS Connect workers ({@link #connectWorker}).
     */
    static JsPeerDevServer forConnect(UnaryOperator<DevServer.Builder> devserver) {
        JsPeer.assumeAvailable();
        return new JsPeerDevServer(devserver.apply(DevServer.builder().port(0).connectPort(0).inMemory().retryDelayScale(0.001)).start(), null);
    }

    /** Starts a JS Connect worker (app {@code conn}) against this devserver; {@code env} adds to its environment. */
    JsConnectWorker connectWorker(String instanceId, Map<String, String> env) throws Exception {
        return JsConnectWorker.start(dev, instanceId, env);
    }

    @Override
    public void close() {
        if (peer != null) {
            peer.close();
        }
        dev.close();
    }
}
