package dev.loomstep.devserver.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.api.DevApi;
import dev.loomstep.devserver.executor.Lifecycle;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.undertow.server.HttpHandler;

/**
 * The devserver's MCP server for coding agents, served at {@code /mcp} on the devserver's port: tools to
 * send events, list and read runs with their steps, invoke a function and wait for its result, cancel
 * and rerun runs, and list functions and apps ({@link DevTools}). Stateless Streamable HTTP, answered
 * in JSON ({@link UndertowMcpTransport}); in production mode it sits behind the REST API's gate.
 */
public final class McpEndpoint implements AutoCloseable {
    private final UndertowMcpTransport transport;
    private final McpStatelessSyncServer server;

    public McpEndpoint(DevApi api, Lifecycle lifecycle) {
        // Its own mapper: the SDK's records carry their own Jackson annotations, and the devserver's
        // mapper settings are not theirs to inherit.
        var json = new JacksonMcpJsonMapper(new ObjectMapper());
        this.transport = new UndertowMcpTransport(json);
        this.server = McpServer.sync(transport)
                .serverInfo(McpSchema.Implementation.builder("loomstep-devserver", Loomstep.VERSION).build())
                .instructions("A Loomstep devserver: it runs the durable functions of the apps synced to it."
                        + " list_functions shows what runs on which event; send_event or invoke_function starts runs;"
                        + " list_runs and get_run show what happened, step by step.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .jsonMapper(json)
                .jsonSchemaValidator(new DefaultJsonSchemaValidator())
                // Tools run on the transport's virtual thread: an invoke's wait parks it, nothing else.
                .immediateExecution(true)
                .tools(new DevTools(api, lifecycle, json).all())
                .build();
    }

    /** The handler to serve at {@code /mcp}. */
    public HttpHandler handler() {
        return transport;
    }

    @Override
    public void close() {
        server.close();
    }
}
