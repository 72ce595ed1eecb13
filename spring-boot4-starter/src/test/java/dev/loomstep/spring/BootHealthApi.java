package dev.loomstep.spring;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** Spring Boot 4's health API, where the shared tests need it. */
final class BootHealthApi {
    /**
     * {@code /actuator/health} under Boot's defaults: no component, the groups named (Boot 4 adds its
     * liveness and readiness groups by default, and writes the groups first).
     */
    static final String OVERALL_HEALTH_BY_DEFAULT = "{\"groups\":[\"liveness\",\"loomstep\",\"readiness\"],\"status\":\"UP\"}";

    private BootHealthApi() {}

    static IndicatorHealth read(Object indicator) {
        Health health = ((HealthIndicator) indicator).health();
        return new IndicatorHealth(health.getStatus().getCode(), health.getDetails());
    }
}
