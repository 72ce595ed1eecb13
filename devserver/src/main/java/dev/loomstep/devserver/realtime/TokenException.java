package dev.loomstep.devserver.realtime;

/** A subscription token that is refused: malformed, not signed by this server, or expired. The message is one line. */
public final class TokenException extends Exception {
    TokenException(String message) {
        super(message);
    }
}
