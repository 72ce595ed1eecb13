package dev.loomstep.http;

import dev.loomstep.Loomstep;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a Loomstep app from any Jakarta Servlet 6 container (Spring Boot 3, Tomcat 10.1+, Jetty 12,
 * Undertow), with exactly the behaviour of {@code LoomstepServer} (artifact {@code loomstep-undertow}):
 * both hand every request to the same {@link SdkEndpoint}. With {@code loomstep-spring-boot-starter},
 * Spring Boot registers it by itself.
 *
 * <pre>{@code
 * // Spring Boot
 * @Bean ServletRegistrationBean<LoomstepServlet> inngest(Loomstep app) {
 *     var bean = new ServletRegistrationBean<>(new LoomstepServlet(app), "/api/inngest");
 *     bean.setAsyncSupported(true);
 *     return bean;
 * }
 * }</pre>
 *
 * When the container allows async processing, the call runs on a virtual thread and the container's
 * thread is released while the function runs; otherwise it runs on the container's thread.
 */
public class LoomstepServlet extends HttpServlet {
    public static final String FRAMEWORK = "servlet";

    private static final Logger log = LoggerFactory.getLogger(LoomstepServlet.class);
    /** Virtual threads need no pool; one executor serves every servlet instance. */
    private static final ExecutorService CALLS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("loomstep-http-", 0).factory());

    private final transient SdkEndpoint endpoint;

    public LoomstepServlet(Loomstep app) {
        this(app, ServeOptions.defaults());
    }

    public LoomstepServlet(Loomstep app, ServeOptions options) {
        this(new SdkEndpoint(app, FRAMEWORK, options));
    }

    /** Serves an endpoint that is shared with other code (the Spring Boot starter's sync uses the same one). */
    public LoomstepServlet(SdkEndpoint endpoint) {
        this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
    }

    /** The framework-neutral endpoint behind this servlet. */
    public SdkEndpoint endpoint() {
        return endpoint;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long limit = endpoint.options().maxBodyBytes();
        long declared = req.getContentLengthLong();
        if (declared > limit) {
            resp.setHeader("Connection", "close");
            write(resp, endpoint.payloadTooLarge(request(req, null), declared));
            return;
        }
        byte[] body;
        try (InputStream in = req.getInputStream()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        }
        if (body.length > limit) {
            resp.setHeader("Connection", "close");
            write(resp, endpoint.payloadTooLarge(request(req, null), -1));
            return;
        }
        SdkRequest request = request(req, body);
        if (!req.isAsyncSupported()) {
            write(resp, endpoint.handle(request));
            return;
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0); // a call lasts as long as its step; the executor has its own time limit
        try {
            CALLS.execute(() -> {
                try {
                    write((HttpServletResponse) async.getResponse(), endpoint.handle(request));
                } catch (IOException | RuntimeException e) {
                    log.debug("could not write the answer to {} {}: {}", request.method(), request.url(), e.toString());
                } finally {
                    complete(async);
                }
            });
        } catch (RejectedExecutionException e) {
            complete(async);
            throw e;
        }
    }

    private static void complete(AsyncContext async) {
        try {
            async.complete();
        } catch (RuntimeException e) {
            // The answer is already written; a container shutting down may refuse the completion itself.
            log.debug("the container refused to complete an answered request: {}", e.toString());
        }
    }

    private static SdkRequest request(HttpServletRequest req, byte[] body) {
        Map<String, List<String>> headers = new HashMap<>();
        for (String name : Collections.list(req.getHeaderNames())) {
            headers.put(name, new ArrayList<>(Collections.list(req.getHeaders(name))));
        }
        String query = req.getQueryString();
        String url = req.getRequestURL() + (query == null || query.isEmpty() ? "" : "?" + query);
        return new SdkRequest(req.getMethod(), url, headers, body);
    }

    private static void write(HttpServletResponse resp, SdkResponse response) throws IOException {
        resp.setStatus(response.status());
        response.headers().forEach(resp::setHeader);
        resp.setContentLength(response.body().length);
        resp.getOutputStream().write(response.body());
        resp.flushBuffer();
    }
}
