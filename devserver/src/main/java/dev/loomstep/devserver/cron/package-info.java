/**
 * Cron triggers: {@link dev.loomstep.devserver.cron.CronSchedule} parses Inngest's five-field crons
 * with an optional {@code TZ=} prefix; {@link dev.loomstep.devserver.cron.CronScheduler} fires them.
 */
package dev.loomstep.devserver.cron;
