package dev.loomstep.http;

import dev.loomstep.Loomstep;
import dev.loomstep.undertow.LoomstepServer;
import io.undertow.Handlers;
import io.undertow.Undertow;
import java.net.InetSocketAddress;

/**
 * One way of serving an app over real HTTP on a free loopback port. The tests run against each, to show
 * the adapters behave the same.
 */
abstract class Served implements AutoCloseable {
    /** The three ways an app can be served. */
    enum Adapter {
        /** {@link LoomstepServer}: Loomstep starts Undertow. */
        SERVER,
        /** {@link LoomstepServer#handler}: mounted in an Undertow server of the user's. */
        HANDLER,
        /** {@link LoomstepServlet} in a servlet container (Tomcat), under a context path. */
        SERVLET;

        String framework() {
            return this == SERVLET ? LoomstepServlet.FRAMEWORK : LoomstepServer.FRAMEWORK;
        }
    }

    abstract String url();

    static Served start(Adapter adapter, Loomstep app) {
        return start(adapter, app, ServeOptions.defaults());
    }

    static Served start(Adapter adapter, Loomstep app, ServeOptions options) {
        return switch (adapter) {
            case SERVER -> {
                var server = LoomstepServer.builder(app).host("127.0.0.1").port(0).options(options).start();
                yield new Served() {
                    String url() {
                        return server.url();
                    }

                    public void close() {
                        server.close();
                    }
                };
            }
            case HANDLER -> {
                var undertow = Undertow.builder().addHttpListener(0, "127.0.0.1")
                        .setHandler(Handlers.path().addExactPath("/api/inngest", LoomstepServer.handler(app, options)))
                        .build();
                undertow.start();
                int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
                yield new Served() {
                    String url() {
                        return "http://127.0.0.1:" + port + "/api/inngest";
                    }

                    public void close() {
                        undertow.stop();
                    }
                };
            }
            case SERVLET -> {
                var tomcat = TomcatContainer.start(new LoomstepServlet(app, options), "/shop", "/api/inngest", true);
                yield new Served() {
                    String url() {
                        return tomcat.url();
                    }

                    public void close() {
                        tomcat.close();
                    }
                };
            }
        };
    }
}
