package dev.loomstep.devserver.store;

import dev.loomstep.Event;

/** A received event and when it arrived (epoch ms). */
public record EventRecord(Event event, long receivedAt) {}
