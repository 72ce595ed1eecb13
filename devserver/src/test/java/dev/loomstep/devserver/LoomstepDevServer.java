package dev.loomstep.devserver;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.undertow.LoomstepServer;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The setup the Loomstep end-to-end suites share: an in-memory devserver on a free port with fast
 * retries, a real Loomstep app (the suite's functions) served by loomstep-undertow on loopback and
 * synced to it, and the devserver's REST API to send events and await runs. The Loomstep counterpart
 * of {@link JsPeerDevServer}.
 */
final class LoomstepDevServer implements AutoCloseable {
    final DevServer dev;
    final Loomstep app;
    final LoomstepServer server;
    final Api api;

    private LoomstepDevServer(DevServer dev, Loomstep app, LoomstepServer server) {
        this.dev = dev;
        this.app = app;
        this.server = server;
        this.api = new Api(dev);
    }

    /** A fixture whose app has this id. */
    static Builder builder(String appId) {
        return new Builder(appId);
    }

    /** Stops the app's server, then the devserver. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            dev.close();
        }
    }

    static final class Builder {
        private final String appId;
        private UnaryOperator<DevServer.Builder> devserver = b -> b;
        private UnaryOperator<Loomstep.Builder> app = b -> b;
        private UnaryOperator<LoomstepServer.Builder> serve = b -> b;

        private Builder(String appId) {
            this.appId = appId;
        }

        /** More devserver options (a clock, …) on a builder with port 0, an in-memory store and fast retries. */
        Builder devserver(UnaryOperator<DevServer.Builder> more) {
            this.devserver = more;
            return this;
        }

        /** More app options (checkpointing, …) on a builder pointed at the devserver. */
        Builder app(UnaryOperator<Loomstep.Builder> more) {
            this.app = more;
            return this;
        }

        /** More server options (body limits, …) on a builder listening on 127.0.0.1, port 0. */
        Builder serve(UnaryOperator<LoomstepServer.Builder> more) {
            this.serve = more;
            return this;
        }

        LoomstepDevServer start(Function<?, ?>... functions) {
            return start(List.of(functions));
        }

        /** Starts the devserver, then the app's server, and syncs the app. */
        LoomstepDevServer start(List<? extends Function<?, ?>> functions) {
            return startOn(devserver.apply(DevServer.builder().port(0).inMemory().retryDelayScale(0.001)).start(), functions);
        }

        /**
         * Starts the app's server against a devserver already running (one a JS peer also uses), and syncs
         * the app; {@link #close()} then stops the devserver too.
         */
        LoomstepDevServer startOn(DevServer dev, List<? extends Function<?, ?>> functions) {
            LoomstepServer server = null;
            try {
                Loomstep loomstep = app.apply(Loomstep.builder(appId).dev(dev.url()).functions(functions)).build();
                server = serve.apply(LoomstepServer.builder(loomstep).host("127.0.0.1").port(0)).start();
                server.sync();
                return new LoomstepDevServer(dev, loomstep, server);
            } catch (RuntimeException | Error e) {
                if (server != null) {
                    server.close();
                }
                dev.close();
                throw e;
            }
        }
    }
}
