package dev.loomstep.devserver.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * MCP's Streamable HTTP transport on an Undertow handler, in its stateless form: every JSON-RPC request
 * is one {@code POST} answered with one {@code application/json} body (no session, no SSE stream, so
 * {@code GET} and {@code DELETE} answer 405, as the spec allows). The body is gathered on the IO thread
 * and the request handled on a virtual thread, where a tool may block (invoke waits for its run). The
 * {@code Mcp-Protocol-Version} header is not checked: every version the SDK agrees to answers alike here.
 *
 * <p>The SDK's own HTTP transports are servlets; bridging its transport SPI here spares the devserver a
 * servlet container (undertow-servlet and the servlet API) for one endpoint.
 */
final class UndertowMcpTransport implements McpStatelessServerTransport, HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(UndertowMcpTransport.class);
    /** MCP messages are small; an event's data is the largest thing a tool takes. */
    static final long MAX_BODY_BYTES = 16L * 1024 * 1024;

    /** Strict: one JSON value and nothing after it. */
    private static final ObjectReader STRICT = Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final McpJsonMapper json;
    private final ExecutorService handlers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("loomstep-dev-mcp-", 0).factory());
    private volatile McpStatelessServerHandler handler;
    private volatile boolean closing;

    UndertowMcpTransport(McpJsonMapper json) {
        this.json = json;
    }

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
        this.handler = handler;
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> {
            closing = true;
            handlers.shutdownNow();
        });
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        if (!ex.getRequestMethod().equals(Methods.POST)) {
            // Stateless: no server-to-client stream to open (GET) and no session to end (DELETE).
            ex.getResponseHeaders().put(Headers.ALLOW, "POST");
            reply(ex, 405, null, "this MCP endpoint is stateless: send JSON-RPC messages with POST");
            return;
        }
        String origin = ex.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin != null && !localOrigin(origin)) {
            // A web page elsewhere must not drive a local devserver through the visitor's browser (DNS rebinding).
            reply(ex, 403, null, "requests from the web origin " + origin + " are refused: only local origins may use /mcp");
            return;
        }
        if (closing) {
            reply(ex, 503, null, "the devserver is shutting down");
            return;
        }
        if (ex.getRequestContentLength() > MAX_BODY_BYTES) {
            ex.setPersistent(false);
            reply(ex, 413, null, "the message is larger than " + MAX_BODY_BYTES / (1024 * 1024) + " MiB");
            return;
        }
        ex.setMaxEntitySize(MAX_BODY_BYTES);
        ex.getRequestReceiver().receiveFullBytes(
                (e, body) -> e.dispatch(handlers, () -> handle(e, body)),
                (e, error) -> {
                    e.setPersistent(false);
                    reply(e, error instanceof RequestTooBigException ? 413 : 400, null,
                            "could not read the message: " + error.getMessage());
                });
    }

    private void handle(HttpServerExchange ex, byte[] body) {
        McpSchema.JSONRPCMessage message;
        try {
            JsonNode tree = STRICT.readTree(body);
            if (tree == null || !tree.isObject() || !"2.0".equals(tree.path("jsonrpc").asText(null))) {
                reply(ex, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "expected one JSON-RPC 2.0 message: an object with"
                        + " \"jsonrpc\": \"2.0\" (batches are not part of MCP's Streamable HTTP since 2025-06-18)");
                return;
            }
            message = McpSchema.deserializeJsonRpcMessage(json, new String(body, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : "not a request, a notification or a response";
            reply(ex, 400, McpSchema.ErrorCodes.PARSE_ERROR, "expected one JSON-RPC 2.0 message: " + firstLine(why));
            return;
        }
        McpTransportContext context = McpTransportContext.EMPTY;
        try {
            switch (message) {
                case McpSchema.JSONRPCRequest request -> {
                    McpSchema.JSONRPCResponse response = handler.handleRequest(context, request)
                            .contextWrite(c -> c.put(McpTransportContext.KEY, context))
                            .block();
                    send(ex, 200, json.writeValueAsString(response));
                }
                case McpSchema.JSONRPCNotification notification -> {
                    handler.handleNotification(context, notification)
                            .contextWrite(c -> c.put(McpTransportContext.KEY, context))
                            .block();
                    send(ex, 202, "");
                }
                default -> reply(ex, 400, McpSchema.ErrorCodes.INVALID_REQUEST,
                        "this server asks clients nothing, so it takes requests and notifications only");
            }
        } catch (Exception e) {
            LOG.error("MCP message failed", e);
            reply(ex, 500, McpSchema.ErrorCodes.INTERNAL_ERROR, "internal error: " + firstLine(e.getMessage()));
        }
    }

    /** A JSON-RPC error with a null id (the message could not be read, or failed outside a tool), as JSON-RPC 2.0 allows. */
    private static void reply(HttpServerExchange ex, int status, Integer code, String message) {
        ObjectNode body = Json.nodes().objectNode().put("jsonrpc", McpSchema.JSONRPC_VERSION).putNull("id");
        body.putObject("error").put("code", code == null ? McpSchema.ErrorCodes.INVALID_REQUEST : code).put("message", message);
        send(ex, status, Json.toString(body));
    }

    private static void send(HttpServerExchange ex, int status, String body) {
        ex.setStatusCode(status);
        if (!body.isEmpty()) {
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        }
        ex.getResponseSender().send(body, StandardCharsets.UTF_8);
    }

    /** An origin on this machine: a browser page served from loopback (the devserver's own UI, a local tool). */
    static boolean localOrigin(String origin) {
        try {
            String host = URI.create(origin.trim()).getHost();
            return host != null && (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("::1"));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String firstLine(String s) {
        String line = s == null ? "" : s.lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
