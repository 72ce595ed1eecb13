package dev.loomstep.http;

import jakarta.servlet.Servlet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/** An embedded Tomcat (the container Spring Boot 3 embeds) serving one servlet on a free loopback port. */
final class TomcatContainer implements AutoCloseable {
    private final Tomcat tomcat;
    private final String contextPath;
    private final String mapping;

    private TomcatContainer(Tomcat tomcat, String contextPath, String mapping) {
        this.tomcat = tomcat;
        this.contextPath = contextPath;
        this.mapping = mapping;
    }

    /** Starts Tomcat with {@code servlet} at {@code contextPath + mapping}; {@code contextPath} is "" for the root. */
    static TomcatContainer start(Servlet servlet, String contextPath, String mapping, boolean asyncSupported) {
        try {
            Path base = Files.createTempDirectory("loomstep-tomcat");
            var tomcat = new Tomcat();
            tomcat.setBaseDir(base.toString());
            var connector = new Connector();
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            tomcat.setConnector(connector);
            var context = tomcat.addContext(contextPath, base.toString());
            var wrapper = Tomcat.addServlet(context, "inngest", servlet);
            wrapper.setAsyncSupported(asyncSupported);
            context.addServletMappingDecoded(mapping, "inngest");
            tomcat.start();
            return new TomcatContainer(tomcat, contextPath, mapping);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (LifecycleException e) {
            throw new IllegalStateException("Tomcat did not start", e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + contextPath + mapping;
    }

    @Override
    public void close() {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            throw new IllegalStateException(e);
        }
    }
}
