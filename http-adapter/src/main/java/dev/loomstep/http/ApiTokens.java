package dev.loomstep.http;

import dev.loomstep.Config;
import dev.loomstep.http.signing.SigningKey;
import java.util.ArrayList;
import java.util.List;

/** The bearer tokens an API call tries in turn: the signing key's, then the fallback key's; one null without keys. */
final class ApiTokens {
    private ApiTokens() {}

    static List<String> of(Config config) {
        List<String> tokens = new ArrayList<>(2);
        for (String key : new String[] {config.signingKey(), config.signingKeyFallback()}) {
            SigningKey k = SigningKey.ofNullable(key);
            if (k != null) {
                tokens.add(k.bearerToken());
            }
        }
        if (tokens.isEmpty()) {
            tokens.add(null);
        }
        return tokens;
    }
}
