package dev.loomstep.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Which mapper the app's user values go through under Spring Boot 3: the application's
 * {@code ObjectMapper} when it has exactly one (Boot's own, or a {@code @Primary} one); else none
 * (Loomstep's own mapper). Boot 4's starter has a class of the same name that looks for Jackson 3.
 */
final class UserValuesMapper {
    private UserValuesMapper() {}

    static ObjectMapper find(ListableBeanFactory beans) {
        return beans.getBeanProvider(ObjectMapper.class).getIfUnique();
    }
}
