/**
 * Flow-control decisions (rate limit, throttle, debounce, batching, concurrency, idempotency,
 * singleton, priority, cancellation, timeouts) as small in-memory classes with an injectable clock;
 * each reports and restores the state a restart must not lose, which {@code ConfiguredFlowControl}
 * keeps in the store.
 * See {@code devserver/FLOW_CONTROL.md} for a summary of each.
 */
package dev.loomstep.devserver.flow;
