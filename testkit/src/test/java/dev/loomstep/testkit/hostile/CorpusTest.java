package dev.loomstep.testkit.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

class CorpusTest {
    private static final Gen<String> SEGMENTS = HostileInput.hostileSegment();

    private static List<String> drawn(long seed, LongStream numbers) throws Throwable {
        List<String> seen = new ArrayList<>();
        for (DynamicTest t : Corpus.tries(SEGMENTS, seen::add, seed, numbers).toList()) {
            t.getExecutable().execute();
        }
        return seen;
    }

    @Test
    void theSameSeedDrawsTheSameValuesAndAnotherSeedOthers() throws Throwable {
        List<String> a = drawn(7, LongStream.range(0, 50));
        assertEquals(a, drawn(7, LongStream.range(0, 50)));
        assertNotEquals(a, drawn(8, LongStream.range(0, 50)));
    }

    @Test
    void aTryRunAloneDrawsWhatItDrewInTheWholeRun() throws Throwable {
        List<String> all = drawn(7, LongStream.range(0, 50));
        assertEquals(List.of(all.get(37)), drawn(7, LongStream.of(37)));
    }

    @Test
    void aFailingTryNamesItsSeedAndNumberAndTheFamilyStopsThere() throws Throwable {
        List<Integer> checked = new ArrayList<>();
        Iterator<DynamicTest> tries = Corpus.<Integer>tries(r -> r.nextInt(100), v -> {
            checked.add(v);
            if (checked.size() == 3) {
                throw new AssertionError("refused badly");
            }
        }, 42, LongStream.range(0, 10)).iterator();
        for (int i = 0; i < 2; i++) {
            tries.next().getExecutable().execute();
        }
        DynamicTest third = tries.next();
        assertEquals("try 2 (seed 42)", third.getDisplayName());
        AssertionError e = assertThrows(AssertionError.class, () -> third.getExecutable().execute());
        assertTrue(e.getMessage().contains("-Dloomstep.hostile.seed=42 -Dloomstep.hostile.try=2"), e.getMessage());
        assertTrue(e.getMessage().contains("refused badly"), e.getMessage());
        assertTrue(!tries.hasNext(), "no try runs after the first failure");
    }

    @Test
    void aFilterThatRejectsEverythingSaysSo() {
        Gen<Integer> never = Gen.ints(0, 10).filter(i -> i > 10);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> never.next(new java.util.SplittableRandom(1)));
        assertTrue(e.getMessage().contains("rejected"), e.getMessage());
    }

    @Test
    void intsStayWithinTheirBoundsAndReachBoth() {
        var r = new java.util.SplittableRandom(3);
        Gen<Integer> g = Gen.ints(5, 9);
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int v = g.next(r);
            assertTrue(v >= 5 && v <= 9, "out of bounds: " + v);
            seen.add(v);
        }
        assertTrue(seen.contains(5) && seen.contains(9), seen.toString());
    }
}
