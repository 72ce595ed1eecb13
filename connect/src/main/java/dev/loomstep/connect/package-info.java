/**
 * Connect: a Loomstep app served over an outbound WebSocket to an Inngest gateway (Inngest Cloud, a
 * self-hosted Inngest server or the Loomstep devserver), with no inbound port.
 */
package dev.loomstep.connect;
