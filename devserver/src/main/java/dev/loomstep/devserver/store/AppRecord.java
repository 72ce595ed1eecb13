package dev.loomstep.devserver.store;

/** A synced app: its name (the id) and where its endpoint is. */
public record AppRecord(String id, String url, String sdk, String framework, String appVersion, long syncedAt) {}
