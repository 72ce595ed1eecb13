/**
 * The devserver's Connect gateway: workers that have no public endpoint open a WebSocket to it
 * (subprotocol {@code v0.connect.inngest.com}) after {@code POST /v0/connect/start}, sync their apps with
 * WORKER_CONNECT, and receive the executor's calls as GATEWAY_EXECUTOR_REQUEST frames; the replies come
 * back as WORKER_REPLY (or over {@code POST /v0/connect/flush} when the socket died).
 * {@link dev.loomstep.devserver.connect.ConnectTransport} is the executor's road to them.
 */
package dev.loomstep.devserver.connect;
