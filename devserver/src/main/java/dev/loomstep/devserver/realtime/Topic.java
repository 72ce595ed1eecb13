package dev.loomstep.devserver.realtime;

/** One topic of one channel: what a subscription token grants and what a message is published to. */
public record Topic(String channel, String name) {
    public Topic {
        if (channel == null || channel.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a realtime topic needs a channel and a name, got channel " + channel + " name " + name);
        }
    }

    @Override
    public String toString() {
        return channel + "/" + name;
    }
}
