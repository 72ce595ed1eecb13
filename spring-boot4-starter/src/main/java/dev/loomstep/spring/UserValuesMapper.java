package dev.loomstep.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Which mapper the app's user values go through under Spring Boot 4: the application's Jackson 3
 * {@code JsonMapper} when it has exactly one (Boot's own, from {@code spring-boot-starter-json} or the
 * web starters, or a {@code @Primary} one), through {@link Jackson3UserValues}; else its Jackson 2
 * {@code ObjectMapper} when it has one (an application with {@code spring-boot-jackson2} and no Jackson 3);
 * else none (Loomstep's own mapper). Jackson 3's classes are only touched when they are on the classpath,
 * so an application without them (Connect, no web stack) starts.
 */
final class UserValuesMapper {
    private static final String JACKSON3 = "tools.jackson.databind.json.JsonMapper";

    private UserValuesMapper() {}

    static ObjectMapper find(ListableBeanFactory beans) {
        if (ClassUtils.isPresent(JACKSON3, UserValuesMapper.class.getClassLoader())) {
            ObjectMapper bridged = Jackson3.find(beans);
            if (bridged != null) {
                return bridged;
            }
        }
        return beans.getBeanProvider(ObjectMapper.class).getIfUnique();
    }

    /** Loaded only with Jackson 3 on the classpath. */
    private static final class Jackson3 {
        static ObjectMapper find(ListableBeanFactory beans) {
            var mapper = beans.getBeanProvider(tools.jackson.databind.json.JsonMapper.class).getIfUnique();
            return mapper == null ? null : Jackson3UserValues.objectMapper(mapper);
        }
    }
}
