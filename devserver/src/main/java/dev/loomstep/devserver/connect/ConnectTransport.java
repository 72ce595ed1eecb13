package dev.loomstep.devserver.connect;

import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.executor.SdkClient;
import dev.loomstep.devserver.executor.SdkTransport;
import java.time.Duration;

/**
 * The executor's road to SDKs: functions synced by a Connect worker (their call URL is the worker's
 * {@code ws(s)://} placeholder) go through the gateway, every other function over HTTP. An app served by
 * Connect therefore never gets an HTTP call.
 */
public final class ConnectTransport implements SdkTransport {
    private final SdkTransport http;
    private final ConnectGateway gateway;
    private final Duration timeout;

    /** @param gateway the gateway, or null when Connect is off (Connect functions then fail as unreachable) */
    public ConnectTransport(SdkTransport http, ConnectGateway gateway, Duration timeout) {
        this.http = http;
        this.gateway = gateway;
        this.timeout = timeout;
    }

    @Override
    public SdkClient.Reply call(Call call) throws InterruptedException {
        if (!Registry.isConnectUrl(call.fn().url())) {
            return http.call(call);
        }
        if (gateway == null) {
            return new SdkClient.Reply(new dev.loomstep.devserver.executor.SdkAnswer.Retry(dev.loomstep.protocol.WireError.of("ConnectionError",
                    "app \"" + call.fn().appId() + "\" is served by Connect workers, but this devserver runs without its Connect gateway (--no-connect)"), null), null);
        }
        return gateway.requests().call(call.fn().appId(), call, timeout);
    }
}
