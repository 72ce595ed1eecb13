package dev.loomstep.devserver.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronScheduleTest {
    /** A Friday. */
    static final Instant FRI_1007_30 = Instant.parse("2024-03-01T10:07:30Z");

    static Instant next(String cron, Instant from) {
        return CronSchedule.parse(cron).nextAfter(from);
    }

    @ParameterizedTest(name = "{0} after 2024-03-01T10:07:30Z is {1}")
    @CsvSource(delimiter = '|', value = {
            "* * * * *            | 2024-03-01T10:08:00Z",
            "*/15 * * * *         | 2024-03-01T10:15:00Z",
            "0 12 * * MON-FRI     | 2024-03-01T12:00:00Z",
            "0 0 1 * *            | 2024-04-01T00:00:00Z",
            "0 9 * * 0            | 2024-03-03T09:00:00Z",
            "0 9 * * SUN          | 2024-03-03T09:00:00Z",
            "0 0 * JAN,MAR *      | 2024-03-02T00:00:00Z",
            "5,10-12 */2 * * *    | 2024-03-01T10:10:00Z",
            "0 0 ? * MON          | 2024-03-04T00:00:00Z",
            "0   8   *  *  *      | 2024-03-02T08:00:00Z",
    })
    void computesTheNextFiringInUtc(String cron, String expected) {
        assertEquals(Instant.parse(expected), next(cron, FRI_1007_30));
    }

    @Test
    void firesOnEitherRestrictedDayFieldLikeVixieCron() {
        // Day 13 or any Friday: the next is Friday 8 March, not the 13th.
        assertEquals(Instant.parse("2024-03-08T00:00:00Z"), next("0 0 13 * 5", FRI_1007_30));
    }

    @Test
    void nextIsStrictlyAfterTheGivenInstant() {
        Instant onTheMinute = Instant.parse("2024-03-01T10:08:00Z");
        assertEquals(Instant.parse("2024-03-01T10:09:00Z"), next("* * * * *", onTheMinute));
        assertEquals(Instant.parse("2024-03-01T10:08:00Z"), next("* * * * *", onTheMinute.minusNanos(1)));
    }

    @Test
    void readsFieldsInTheTimeZoneOfTheTzPrefix() {
        CronSchedule paris = CronSchedule.parse("TZ=Europe/Paris 0 9 * * *");
        assertEquals(ZoneId.of("Europe/Paris"), paris.zone());
        assertEquals(Instant.parse("2024-03-02T08:00:00Z"), paris.nextAfter(FRI_1007_30), "CET is UTC+1");
        assertEquals(Instant.parse("2024-07-01T07:00:00Z"), paris.nextAfter(Instant.parse("2024-06-30T12:00:00Z")), "CEST is UTC+2");
        assertEquals(Instant.parse("2024-03-01T14:00:00Z"), next("CRON_TZ=America/New_York 0 9 * * *", FRI_1007_30));
        assertEquals(ZoneOffset.UTC, CronSchedule.parse("0 9 * * *").zone());
    }

    @Test
    void keepsTheExpressionAsGiven() {
        CronSchedule s = CronSchedule.parse("  TZ=Europe/Paris 0 9 * * *  ");
        assertEquals("TZ=Europe/Paris 0 9 * * *", s.expression());
        assertEquals(s, CronSchedule.parse("TZ=Europe/Paris 0 9 * * *"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "* * * * * *          | invalid cron \"* * * * * *\": expected 5 fields (minute hour day-of-month month day-of-week), found 6",
            "abc                  | invalid cron \"abc\": expected 5 fields (minute hour day-of-month month day-of-week), found 1",
            "@daily               | invalid cron \"@daily\": descriptors such as @daily are not accepted; write the five fields, e.g. 0 0 * * *",
            "TZ=Mars/Olympus 0 9 * * * | invalid cron \"TZ=Mars/Olympus 0 9 * * *\": unknown time zone \"Mars/Olympus\" (use an IANA name such as Europe/Paris)",
            "TZ=UTC               | invalid cron \"TZ=UTC\": expected 5 fields (minute hour day-of-month month day-of-week), found 0",
            "0 0 31 2 *           | invalid cron \"0 0 31 2 *\": it never fires (no such date)",
    })
    void rejectsBadExpressionsWithAOneLineMessage(String cron, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(cron));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsOutOfRangeValuesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("61 * * * *"));
        assertTrue(e.getMessage().startsWith("invalid cron \"61 * * * *\": "), e.getMessage());
        assertTrue(e.getMessage().contains("61"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(""));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(null));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 25 * * *"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 0 * * FRIDAY"));
    }

    @Test
    void walksAcrossADaylightSavingGapWithoutRepeatingOrGoingBackwards() {
        CronSchedule s = CronSchedule.parse("TZ=America/New_York */30 * * * *");
        Instant t = Instant.parse("2024-03-10T06:00:00Z"); // 01:00 EST, the night clocks jump to 03:00
        for (int i = 0; i < 10; i++) {
            Instant n = s.nextAfter(t);
            assertTrue(n.isAfter(t));
            assertTrue(n.minusSeconds(30 * 60).compareTo(t) <= 0, "no half hour skipped between " + t + " and " + n);
            t = n;
        }
    }
}
