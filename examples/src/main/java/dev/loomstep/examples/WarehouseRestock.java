package dev.loomstep.examples;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import java.time.Duration;
import java.util.List;

/**
 * A function served over Connect: the warehouse's worker sits on a network the executor cannot reach, so
 * it dials out to the gateway ({@code LoomstepConnect}) instead of serving an HTTP endpoint. The function
 * itself is ordinary — steps, a durable sleep — and knows nothing of how it is served.
 */
public final class WarehouseRestock {
    /** The data of {@code warehouse/stock.counted}: a shelf count. */
    public record StockCounted(String warehouse, List<Shelf> shelves) {}

    public record Shelf(String sku, int onHand, int minimum) {}

    public record Order(String sku, int quantity) {}

    public static final String STOCK_COUNTED = "warehouse/stock.counted";

    private WarehouseRestock() {}

    public static Function<StockCounted, String> function() {
        return Function.builder("restock").name("Restock low shelves")
                .trigger(Trigger.event(STOCK_COUNTED))
                .handler(StockCounted.class, (input, step) -> {
                    int ordered = 0;
                    for (Shelf shelf : input.data().shelves()) {
                        if (shelf.onHand() < shelf.minimum()) {
                            Order order = step.run("order-" + shelf.sku(), Order.class,
                                    () -> new Order(shelf.sku(), 2 * shelf.minimum() - shelf.onHand()));
                            ordered += order.quantity();
                        }
                    }
                    step.sleep("await-delivery", Duration.ofSeconds(1));
                    int units = ordered;
                    return step.run("confirm", String.class, () -> units + " units ordered for " + input.data().warehouse());
                });
    }
}
