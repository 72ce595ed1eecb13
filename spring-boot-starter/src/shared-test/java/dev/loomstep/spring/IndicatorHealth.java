package dev.loomstep.spring;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.context.ApplicationContext;

/**
 * What the app's Loomstep health indicator answers, as the shared tests read it: each starter's
 * {@code BootHealthApi} reads it through its Boot's health API (which Boot 4 moved to other packages).
 *
 * @param status  the status code ({@code UP}, {@code DOWN}, ...)
 * @param details the details, as the indicator gave them
 */
record IndicatorHealth(String status, Map<String, Object> details) {

    /** The indicator bean of a running app (the health endpoint's {@code HEALTH_COMPONENT}), asked at each call. */
    static Supplier<IndicatorHealth> of(ApplicationContext spring) {
        Object indicator = spring.getBean(LoomstepAutoConfiguration.HEALTH_COMPONENT + "HealthIndicator");
        return () -> BootHealthApi.read(indicator);
    }

    /** The indicator's details in an answer of {@code /actuator/health/loomstep} (shown with {@code show-details}). */
    static JsonNode detailsIn(JsonNode healthResponse) {
        return healthResponse.path("components").path(LoomstepAutoConfiguration.HEALTH_COMPONENT).path("details");
    }
}
