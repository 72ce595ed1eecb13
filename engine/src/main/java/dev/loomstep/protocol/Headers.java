package dev.loomstep.protocol;

/** Header names of the Inngest protocol. */
public final class Headers {
    public static final String SDK = "X-Inngest-Sdk";
    public static final String REQ_VERSION = "X-Inngest-Req-Version";
    public static final String NO_RETRY = "X-Inngest-No-Retry";
    public static final String RETRY_AFTER = "Retry-After";
    public static final String SIGNATURE = "X-Inngest-Signature";
    public static final String SERVER_KIND = "X-Inngest-Server-Kind";
    public static final String EXPECTED_SERVER_KIND = "X-Inngest-Expected-Server-Kind";
    public static final String ENV = "X-Inngest-Env";
    public static final String FRAMEWORK = "X-Inngest-Framework";
    public static final String PLATFORM = "X-Inngest-Platform";
    public static final String SERVER_TIMING = "Server-Timing";

    private Headers() {}
}
