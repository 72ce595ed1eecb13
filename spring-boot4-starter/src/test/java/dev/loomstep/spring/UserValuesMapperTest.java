package dev.loomstep.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** Which mapper user values go through under Boot 4, by the beans the application has. */
class UserValuesMapperTest {
    record Order(String orderId) {}

    @Test
    void theApplicationsJackson3MapperWinsOverAJackson2One() {
        var beans = new DefaultListableBeanFactory();
        beans.registerSingleton("jsonMapper", JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build());
        beans.registerSingleton("jacksonObjectMapper", new ObjectMapper());
        ObjectMapper chosen = UserValuesMapper.find(beans);
        assertEquals("{\"order_id\":\"o-1\"}", chosen.valueToTree(new Order("o-1")).toString(), "written by the Jackson 3 mapper");
    }

    @Test
    void withoutJackson3TheApplicationsJackson2MapperIsUsedAsItIs() {
        var beans = new DefaultListableBeanFactory();
        var jackson2 = new ObjectMapper();
        beans.registerSingleton("jacksonObjectMapper", jackson2);
        assertSame(jackson2, UserValuesMapper.find(beans));
    }

    @Test
    void withNeitherLoomstepsOwnMapperIsKept() {
        assertNull(UserValuesMapper.find(new DefaultListableBeanFactory()));
    }

    @Test
    void twoJackson3MappersAndNoPrimaryOneAreNotGuessedBetween() {
        var beans = new DefaultListableBeanFactory();
        beans.registerSingleton("a", JsonMapper.builder().build());
        beans.registerSingleton("b", JsonMapper.builder().build());
        assertNull(UserValuesMapper.find(beans));
    }
}
