package dev.loomstep.internal;

import java.util.List;

/** The checks a realtime publish or token request passes before anything is sent, shared by the client and the step. */
public final class Realtime {
    private Realtime() {
    }

    /** Refuses a blank channel or topic with a line saying which. */
    public static void check(String channel, String topic) {
        channel(channel);
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("a realtime topic must not be blank (publishing to channel \"" + channel + "\")");
        }
    }

    /** Refuses a blank channel, no topics, or a blank topic. */
    public static void check(String channel, List<String> topics) {
        channel(channel);
        if (topics == null || topics.isEmpty()) {
            throw new IllegalArgumentException("a realtime token needs at least one topic of channel \"" + channel + "\"");
        }
        for (String t : topics) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("a realtime topic must not be blank (token for channel \"" + channel + "\": " + topics + ")");
            }
        }
    }

    private static void channel(String channel) {
        if (channel == null || channel.isBlank()) {
            throw new IllegalArgumentException("a realtime channel must not be blank");
        }
    }
}
