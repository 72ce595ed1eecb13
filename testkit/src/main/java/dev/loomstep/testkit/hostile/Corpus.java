package dev.loomstep.testkit.hostile;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * Runs a family of the hostile corpus as JUnit dynamic tests, one per try, each drawn from its own
 * generator seeded from the run's seed and the try's number, so any try can be re-run alone.
 *
 * <p>System properties: {@value #TRIES} (tries per family, default {@value #DEFAULT_TRIES}: CI stays
 * fast; raise it for a long run), {@value #SEED} (default {@value #DEFAULT_SEED}), and {@value #ONLY}
 * (run just that try). A failing try names its seed and number and how to re-run it.
 */
public final class Corpus {
    public static final String TRIES = "loomstep.hostile.tries";
    public static final String SEED = "loomstep.hostile.seed";
    public static final String ONLY = "loomstep.hostile.try";
    public static final int DEFAULT_TRIES = 150;
    public static final long DEFAULT_SEED = 20261201L;

    private Corpus() {}

    /**
     * One dynamic test per try: draws a value of {@code gen} and hands it to {@code check}. The family
     * stops at its first failing try, as later ones would only report the state it left behind.
     */
    public static <T> Stream<DynamicTest> tries(Gen<T> gen, ThrowingConsumer<T> check) {
        long seed = Long.getLong(SEED, DEFAULT_SEED);
        String only = System.getProperty(ONLY);
        LongStream numbers = only != null ? LongStream.of(Long.parseLong(only.strip()))
                : LongStream.range(0, Integer.getInteger(TRIES, DEFAULT_TRIES));
        return tries(gen, check, seed, numbers);
    }

    static <T> Stream<DynamicTest> tries(Gen<T> gen, ThrowingConsumer<T> check, long seed, LongStream numbers) {
        AtomicBoolean failed = new AtomicBoolean();
        return numbers.takeWhile(n -> !failed.get()).mapToObj(n -> DynamicTest.dynamicTest("try " + n + " (seed " + seed + ")", () -> {
            T value = null;
            try {
                value = gen.next(new SplittableRandom(seedOf(seed, n)));
                check.accept(value);
            } catch (Throwable t) {
                failed.set(true);
                String what = value == null ? "generating its input" : "input " + abbreviate(String.valueOf(value));
                throw new AssertionError("hostile corpus: try " + n + " of seed " + seed + " failed (" + what + "); re-run it alone with -D"
                        + SEED + "=" + seed + " -D" + ONLY + "=" + n + ": " + t, t);
            }
        }));
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }

    /** Spreads neighbouring try numbers far apart, so that each try's generator is unrelated to the next's. */
    private static long seedOf(long seed, long tryNumber) {
        return seed ^ (tryNumber * 0x9E3779B97F4A7C15L);
    }
}
