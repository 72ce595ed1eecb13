package dev.loomstep.spring;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** Spring Boot 3's health API, where the shared tests need it. */
final class BootHealthApi {
    /** {@code /actuator/health} under Boot's defaults: no component, the starter's group named. */
    static final String OVERALL_HEALTH_BY_DEFAULT = "{\"status\":\"UP\",\"groups\":[\"loomstep\"]}";

    private BootHealthApi() {}

    static IndicatorHealth read(Object indicator) {
        Health health = ((HealthIndicator) indicator).health();
        return new IndicatorHealth(health.getStatus().getCode(), health.getDetails());
    }
}
