package dev.loomstep.ai;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model provider for {@link Ai#infer}: where the executor sends the request, how it authenticates,
 * and the provider's format. The same three providers as the JS SDK's {@code step.ai.models}, with the
 * same defaults:
 *
 * <pre>{@code
 * AiModel.openai("gpt-4o-mini")                       // key from OPENAI_API_KEY; any OpenAI-compatible API with baseUrl(..)
 * AiModel.anthropic("claude-3-5-haiku-latest").apiKey(key)
 * AiModel.gemini("gemini-1.5-flash").baseUrl("http://localhost:9000/v1beta/")
 * }</pre>
 *
 * The API key travels to the executor with the step (that is how Inngest's executor calls the provider)
 * and is never part of the step's recorded input or output.
 */
public record AiModel(Format format, String model, String apiKey, String baseUrl, List<String> betaHeaders) {

    /** A provider's request format, as the executor names it on the wire. */
    public enum Format {
        OPENAI_CHAT("openai-chat", "OPENAI_API_KEY", "https://api.openai.com/v1/"),
        ANTHROPIC("anthropic", "ANTHROPIC_API_KEY", "https://api.anthropic.com/v1/"),
        GEMINI("gemini", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta/");

        private final String wire;
        private final String keyVariable;
        private final String defaultBaseUrl;

        Format(String wire, String keyVariable, String defaultBaseUrl) {
            this.wire = wire;
            this.keyVariable = keyVariable;
            this.defaultBaseUrl = defaultBaseUrl;
        }

        /** The name the executor knows it by ({@code openai-chat}, {@code anthropic}, {@code gemini}). */
        public String wire() {
            return wire;
        }

        /** The environment variable the key is read from when none is given. */
        public String keyVariable() {
            return keyVariable;
        }
    }

    public AiModel {
        if (format == null) {
            throw new IllegalArgumentException("an AI model needs a format");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("an AI model needs a model name");
        }
        betaHeaders = betaHeaders == null ? List.of() : List.copyOf(betaHeaders);
    }

    /** OpenAI's chat completions, or any API compatible with them (set {@link #baseUrl}). */
    public static AiModel openai(String model) {
        return new AiModel(Format.OPENAI_CHAT, model, null, null, null);
    }

    /** Anthropic's messages API. */
    public static AiModel anthropic(String model) {
        return new AiModel(Format.ANTHROPIC, model, null, null, null);
    }

    /** Google's Gemini {@code generateContent}. */
    public static AiModel gemini(String model) {
        return new AiModel(Format.GEMINI, model, null, null, null);
    }

    /** The API key; without one it is read from the format's environment variable ({@code OPENAI_API_KEY}, …). */
    public AiModel apiKey(String key) {
        return new AiModel(format, model, key, baseUrl, betaHeaders);
    }

    /** Where the provider's API is ({@code http://localhost:11434/v1/} for a local OpenAI-compatible server). */
    public AiModel baseUrl(String url) {
        if (url != null) {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                throw new IllegalArgumentException("an AI model's baseUrl must be an absolute http(s) URL, got \"" + url + "\"");
            }
        }
        return new AiModel(format, model, apiKey, url, betaHeaders);
    }

    /** Anthropic beta features, sent as {@code anthropic-beta}. */
    public AiModel betaHeaders(List<String> names) {
        return new AiModel(format, model, apiKey, baseUrl, names);
    }

    /** The endpoint the executor posts to, as the JS SDK's model adapters build it. */
    public String url() {
        String base = baseUrl != null ? baseUrl : format.defaultBaseUrl;
        if (!base.endsWith("/")) {
            base += "/"; // else the relative path would replace the base's last segment
        }
        return switch (format) {
            case OPENAI_CHAT -> URI.create(base).resolve("chat/completions").toString();
            case ANTHROPIC -> URI.create(base).resolve("messages").toString();
            case GEMINI -> URI.create(base).resolve("models/" + model + ":generateContent?key=" + resolvedKey()).toString();
        };
    }

    /** Headers the provider needs besides auth; null when the JS SDK's adapter sends none (OpenAI). */
    public Map<String, String> headers() {
        return switch (format) {
            case OPENAI_CHAT -> null;
            case ANTHROPIC -> {
                var h = new LinkedHashMap<String, String>();
                h.put("anthropic-version", "2023-06-01");
                if (!betaHeaders.isEmpty()) {
                    h.put("anthropic-beta", String.join(",", betaHeaders));
                }
                yield h;
            }
            case GEMINI -> Map.of();
        };
    }

    /** The key sent to the executor: the given one, else the environment variable's, else empty. */
    public String resolvedKey() {
        if (apiKey != null && !apiKey.isEmpty()) {
            return apiKey;
        }
        String env = System.getenv(format.keyVariable);
        return env == null ? "" : env;
    }

    /** Whether the request body gets {@code model} when it has none (OpenAI and Anthropic; Gemini names it in the URL). */
    public boolean modelInBody() {
        return format != Format.GEMINI;
    }

    @Override
    public String toString() {
        // Never the key.
        return "AiModel[" + format.wire + " " + model + (baseUrl == null ? "" : " at " + baseUrl) + "]";
    }
}
