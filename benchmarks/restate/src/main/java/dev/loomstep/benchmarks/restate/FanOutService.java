package dev.loomstep.benchmarks.restate;

import dev.restate.sdk.Context;
import dev.restate.sdk.DurableFuture;
import dev.restate.sdk.annotation.Handler;
import dev.restate.sdk.annotation.Service;
import java.util.ArrayList;
import java.util.List;

/**
 * The Restate twin of the fan-out benchmark function (load/fanout-vs-restate.sh): {@code n} durable
 * steps started at once ({@code ctx.runAsync}, branch {@code i} returns {@code i}), awaited together
 * with {@code DurableFuture.all}, and their sum as the result. {@code n} is the request's body.
 * Served by the same endpoint as {@link StepsService} (see its {@code main}).
 */
@Service
public class FanOutService {
    @Handler
    public long run(Context ctx, int n) {
        var futures = new ArrayList<DurableFuture<Integer>>(n);
        for (int i = 0; i < n; i++) {
            int v = i;
            futures.add(ctx.runAsync("p" + i, Integer.class, () -> v));
        }
        DurableFuture.all(List.copyOf(futures)).await();
        long sum = 0;
        for (DurableFuture<Integer> f : futures) {
            sum += f.await();
        }
        return sum;
    }
}
