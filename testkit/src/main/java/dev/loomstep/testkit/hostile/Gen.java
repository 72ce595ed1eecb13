package dev.loomstep.testkit.hostile;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A generator of test values drawn from a seeded {@link RandomGenerator}: the few combinators the
 * hostile corpus needs (pick one of, weigh, map, combine, filter), so that a value depends only on the
 * generator it is handed and a seed reproduces a whole run.
 */
@FunctionalInterface
public interface Gen<T> {
    /** Attempts {@link #filter} makes before it reports its predicate as (almost) never true. */
    int MAX_FILTER_MISSES = 10_000;

    T next(RandomGenerator random);

    default <U> Gen<U> map(Function<? super T, ? extends U> f) {
        return r -> f.apply(next(r));
    }

    default <U> Gen<U> flatMap(Function<? super T, Gen<U>> f) {
        return r -> f.apply(next(r)).next(r);
    }

    /** Draws until {@code keep} holds; a predicate that rejects nearly everything is a bug in the corpus, reported as such. */
    default Gen<T> filter(Predicate<? super T> keep) {
        return r -> {
            for (int i = 0; i < MAX_FILTER_MISSES; i++) {
                T t = next(r);
                if (keep.test(t)) {
                    return t;
                }
            }
            throw new IllegalStateException("the filter rejected " + MAX_FILTER_MISSES + " values in a row");
        };
    }

    static <T> Gen<T> just(T value) {
        return r -> value;
    }

    @SafeVarargs
    static <T> Gen<T> of(T... values) {
        List<T> copy = List.of(values);
        return r -> copy.get(r.nextInt(copy.size()));
    }

    static <T> Gen<T> of(List<T> values) {
        List<T> copy = List.copyOf(values);
        return r -> copy.get(r.nextInt(copy.size()));
    }

    static <E extends Enum<E>> Gen<E> of(Class<E> type) {
        return of(type.getEnumConstants());
    }

    /** One of {@code gens}, each as likely as the others. */
    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        List<Gen<? extends T>> copy = List.of(gens);
        return r -> copy.get(r.nextInt(copy.size())).next(r);
    }

    /** A generator picked with the given weight, for {@link #frequencyOf}. */
    record Weighted<T>(int weight, Gen<? extends T> gen) {
        public Weighted {
            if (weight <= 0) {
                throw new IllegalArgumentException("weight must be positive: " + weight);
            }
        }
    }

    static <T> Weighted<T> weighted(int weight, Gen<? extends T> gen) {
        return new Weighted<>(weight, gen);
    }

    /** One of {@code choices}, each picked in proportion to its weight. */
    @SafeVarargs
    static <T> Gen<T> frequencyOf(Weighted<? extends T>... choices) {
        List<Weighted<? extends T>> copy = List.of(choices);
        int total = copy.stream().mapToInt(Weighted::weight).sum();
        return r -> {
            int pick = r.nextInt(total);
            for (Weighted<? extends T> w : copy) {
                pick -= w.weight();
                if (pick < 0) {
                    return w.gen().next(r);
                }
            }
            throw new AssertionError("unreachable");
        };
    }

    static <A, B, T> Gen<T> combine(Gen<A> a, Gen<B> b, BiFunction<? super A, ? super B, ? extends T> f) {
        return r -> f.apply(a.next(r), b.next(r));
    }

    /**
     * An int in [{@code min}, {@code max}], the bounds more often than chance: limits are checked at the
     * edge, so the edge is where a server misses one.
     */
    static Gen<Integer> ints(int min, int max) {
        return r -> switch (r.nextInt(10)) {
            case 0 -> min;
            case 1 -> max;
            default -> r.nextInt(min, max + 1);
        };
    }

    /** Any long, with 0, ±1 and the extremes more often than chance. */
    static Gen<Long> longs() {
        return r -> r.nextInt(5) == 0 ? of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE).next(r) : r.nextLong();
    }

    static Gen<byte[]> bytes(int minSize, int maxSize) {
        return r -> {
            byte[] b = new byte[ints(minSize, maxSize).next(r)];
            r.nextBytes(b);
            return b;
        };
    }

    /**
     * Strings up to {@code maxLength} chars of any kind: ASCII, control characters, any UTF-16 unit
     * (lone surrogates included) and whole supplementary code points.
     */
    static Gen<String> strings(int maxLength) {
        return r -> {
            int n = ints(0, maxLength).next(r);
            StringBuilder s = new StringBuilder(n);
            while (s.length() < n) {
                switch (r.nextInt(4)) {
                    case 0 -> s.append((char) r.nextInt(0x20, 0x7F));
                    case 1 -> s.append((char) r.nextInt(0, 0x20));
                    case 2 -> s.append((char) r.nextInt(0, 0x10000));
                    default -> s.appendCodePoint(r.nextInt(0x10000, 0x110000));
                }
            }
            return s.length() > n ? s.substring(0, n) : s.toString();
        };
    }

    /** Strings of {@code minLength}–{@code maxLength} chars taken from {@code chars}. */
    static Gen<String> strings(String chars, int minLength, int maxLength) {
        return r -> {
            int n = ints(minLength, maxLength).next(r);
            StringBuilder s = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                s.append(chars.charAt(r.nextInt(chars.length())));
            }
            return s.toString();
        };
    }
}
