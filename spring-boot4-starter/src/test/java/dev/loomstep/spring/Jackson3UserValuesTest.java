package dev.loomstep.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loomstep.protocol.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** The Jackson 2 mapper Loomstep's engine gets, writing and reading user types through a Jackson 3 mapper. */
class Jackson3UserValuesTest {
    public enum Tier { GOLD, SILVER }

    public record Line(String skuCode, int quantity, Tier tier, Instant addedAt) {}

    public record Basket<T>(String ownerName, List<T> items) {}

    static final JsonMapper JACKSON3 = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    static final ObjectMapper BRIDGED = Jackson3UserValues.objectMapper(JACKSON3);

    static JsonNode tree(Object value) {
        return BRIDGED.valueToTree(value);
    }

    static final Line LINE = new Line("sku-1", 2, Tier.GOLD, Instant.parse("2029-01-02T03:04:05Z"));

    @Test
    void aValueIsWrittenAsJackson3WritesItAndReadBackAsItsType() throws Exception {
        JsonNode tree = tree(LINE);
        assertEquals(JACKSON3.writeValueAsString(LINE), tree.toString());
        assertEquals("{\"sku_code\":\"sku-1\",\"quantity\":2,\"tier\":\"GOLD\",\"added_at\":\"2029-01-02T03:04:05Z\"}", tree.toString());
        assertEquals(LINE, BRIDGED.readerFor(Line.class).readValue(tree));
    }

    @Test
    void genericTypesCollectionsMapsAndOptionalsKeepTheirTypeParameters() throws Exception {
        var basket = new Basket<>("ada", List.of(LINE));
        JsonNode tree = tree(basket);
        assertEquals(JACKSON3.writeValueAsString(basket), tree.toString());
        Basket<Line> back = BRIDGED.readerFor(BRIDGED.constructType(new TypeReference<Basket<Line>>() {})).readValue(tree);
        assertEquals(basket, back);
        assertEquals(Line.class, back.items().get(0).getClass());

        List<Line> lines = BRIDGED.readerFor(BRIDGED.constructType(new TypeReference<List<Line>>() {})).readValue(tree(List.of(LINE)));
        assertEquals(List.of(LINE), lines);
        Map<String, Line> byId = BRIDGED.readerFor(BRIDGED.constructType(new TypeReference<Map<String, Line>>() {}))
                .readValue(tree(Map.of("a", LINE)));
        assertEquals(Map.of("a", LINE), byId);
        Optional<Line> maybe = BRIDGED.readerFor(BRIDGED.constructType(new TypeReference<Optional<Line>>() {}))
                .readValue(tree(Optional.of(LINE)));
        assertEquals(Optional.of(LINE), maybe);
        assertEquals(Tier.SILVER, BRIDGED.readerFor(Tier.class).readValue(tree(Tier.SILVER)));
    }

    @Test
    void scalarsAndJackson2TreesStayWithJackson2() throws Exception {
        assertEquals("\"text\"", tree("text").toString());
        assertEquals(42L, (Long) BRIDGED.readerFor(Long.class).readValue(tree(42L)));
        JsonNode node = Json.mapper().readTree("{\"keepMe\":1}");
        assertEquals("{\"keepMe\":1}", tree(node).toString(), "a Jackson 2 tree is copied as it is, no naming strategy");
        assertTrue(Jackson3UserValues.handedOver(Line.class));
        assertTrue(!Jackson3UserValues.handedOver(JsonNode.class) && !Jackson3UserValues.handedOver(dev.loomstep.Event.class));
    }

    @Test
    void jsonThatDoesNotFitIsAJackson2MappingErrorNamingTheType() throws Exception {
        JsonNode wrong = Json.mapper().readTree("{\"quantity\":\"many\"}");
        var e = assertThrows(JsonMappingException.class, () -> BRIDGED.readerFor(Line.class).readValue(wrong));
        assertTrue(e.getMessage().contains(Line.class.getName()), e.getMessage());
    }
}
