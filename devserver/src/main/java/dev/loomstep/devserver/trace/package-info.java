/**
 * Extended traces: the spans SDKs send for their runs ({@code POST /v1/traces/userland}, OTLP/HTTP JSON),
 * read into per-run span records the run's trace shows.
 */
package dev.loomstep.devserver.trace;
