package dev.loomstep.http;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link DurableEndpoint} from any Jakarta Servlet 6 container, at whatever path it is mapped to
 * (every method is handed to the endpoint). When the container allows async processing the handler runs
 * on a virtual thread and the container's thread is released meanwhile.
 *
 * <pre>{@code
 * var bean = new ServletRegistrationBean<>(new DurableEndpointServlet(checkout), "/api/checkout");
 * bean.setAsyncSupported(true);
 * }</pre>
 */
public class DurableEndpointServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(DurableEndpointServlet.class);
    private static final ExecutorService CALLS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("loomstep-endpoint-", 0).factory());

    private final transient DurableEndpoint endpoint;

    public DurableEndpointServlet(DurableEndpoint endpoint) {
        this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long limit = endpoint.options().maxBodyBytes();
        byte[] body;
        try (InputStream in = req.getInputStream()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        }
        if (body.length > limit) {
            resp.setHeader("Connection", "close");
            resp.sendError(413, "the request body is over " + limit + " bytes");
            return;
        }
        SdkRequest request = request(req, body);
        if (!req.isAsyncSupported()) {
            write(resp, endpoint.handle(request));
            return;
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0); // the handler's steps take as long as they take
        CALLS.execute(() -> {
            try {
                write((HttpServletResponse) async.getResponse(), endpoint.handle(request));
            } catch (IOException | RuntimeException e) {
                log.debug("could not write the answer to {} {}: {}", request.method(), request.url(), e.toString());
            } finally {
                try {
                    async.complete();
                } catch (RuntimeException e) {
                    log.debug("the container refused to complete an answered request: {}", e.toString());
                }
            }
        });
    }

    static SdkRequest request(HttpServletRequest req, byte[] body) {
        Map<String, List<String>> headers = new HashMap<>();
        for (String name : Collections.list(req.getHeaderNames())) {
            headers.put(name, new ArrayList<>(Collections.list(req.getHeaders(name))));
        }
        String query = req.getQueryString();
        String url = req.getRequestURL() + (query == null || query.isEmpty() ? "" : "?" + query);
        return new SdkRequest(req.getMethod(), url, headers, body);
    }

    static void write(HttpServletResponse resp, SdkResponse response) throws IOException {
        resp.setStatus(response.status());
        response.headers().forEach(resp::setHeader);
        resp.setContentLength(response.body().length);
        resp.getOutputStream().write(response.body());
        resp.flushBuffer();
    }
}
