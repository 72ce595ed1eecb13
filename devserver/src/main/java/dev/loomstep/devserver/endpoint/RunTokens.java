package dev.loomstep.devserver.endpoint;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tokens that let whoever holds one read one run's output ({@code GET /v1/http/runs/{runId}/output?token=}):
 * an HMAC-SHA256 of the run id under a secret drawn when the devserver starts (Inngest signs a JWT with
 * the run's claims; the SDK passes the token through without reading it). A restart invalidates them.
 */
public final class RunTokens {
    private final byte[] secret;

    public RunTokens() {
        this.secret = new byte[32];
        new SecureRandom().nextBytes(secret);
    }

    /** The output token of {@code runId}. */
    public String output(String runId) {
        return mac("output:" + runId);
    }

    /** A token for the run's realtime stream (the JS SDK requires one in the new run's answer). */
    public String realtime(String runId) {
        return mac("realtime:" + runId);
    }

    /** Whether {@code token} is {@code runId}'s output token; constant-time. */
    public boolean allowsOutput(String runId, String token) {
        return token != null && MessageDigest.isEqual(output(runId).getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private String mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
