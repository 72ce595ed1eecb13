package com.example.shop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.FunctionHandler;
import dev.loomstep.Step;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A user's handler, outside Loomstep's packages (RunLogTest's own lambdas are in dev.loomstep.internal):
 * its step body fails with a cause, each thrown a few frames deep in the user's code.
 */
public final class ChargingHandler {
    public static FunctionHandler<JsonNode, Object> handler() {
        return (input, step) -> checkout(step);
    }

    static Object checkout(Step step) {
        return step.run("charge", String.class, ChargingHandler::charge);
    }

    static String charge() {
        try {
            return callGateway();
        } catch (IOException e) {
            throw new IllegalStateException("card declined", new UncheckedIOException(e));
        }
    }

    static String callGateway() throws IOException {
        throw new IOException("gateway timed out");
    }

    private ChargingHandler() {}
}
