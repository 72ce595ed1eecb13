package dev.loomstep.devserver.api;

import java.util.Map;

/** An answer a route writes as it is — status, headers, bytes — instead of as JSON with status 200. */
record RawAnswer(int status, Map<String, String> headers, byte[] body) {}
