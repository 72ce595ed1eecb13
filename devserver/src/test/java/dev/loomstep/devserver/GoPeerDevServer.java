package dev.loomstep.devserver;

import dev.loomstep.testkit.GoPeer;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The setup the Go SDK interop tests share: the official Go SDK peer ({@code testkit/go-peer}, app
 * {@code go}) in dev mode against an in-memory devserver on a free port, which syncs it with {@code -u}
 * at start.
 */
final class GoPeerDevServer implements AutoCloseable {
    final DevServer dev;
    final GoPeer peer;
    final Api api;

    private GoPeerDevServer(DevServer dev, GoPeer peer) {
        this.dev = dev;
        this.peer = peer;
        this.api = new Api(dev);
    }

    /**
     * @param checkpointing every Go function checkpoints its steps ({@code PEER_CHECKPOINTING=on}); off is
     *                      inngestgo's default
     * @param env           more environment for the Go process
     * @param devserver     more devserver options on a builder that has port, in-memory store, fast
     *                      retries and the sync set
     */
    static GoPeerDevServer start(boolean checkpointing, Map<String, String> env, UnaryOperator<DevServer.Builder> devserver)
            throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var all = new HashMap<>(env);
        all.put("PEER_CHECKPOINTING", checkpointing ? "on" : "off");
        GoPeer peer = GoPeer.start("http://127.0.0.1:" + port, all);
        try {
            var b = DevServer.builder().port(port).inMemory().retryDelayScale(0.001).sync(peer.baseUrl());
            return new GoPeerDevServer(devserver.apply(b).start(), peer);
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    @Override
    public void close() {
        peer.close();
        dev.close();
    }
}
