package dev.loomstep.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import ${loomstep.boot.health.endpoint}.AdditionalHealthEndpointPath;
import ${loomstep.boot.health.endpoint}.HealthEndpointGroup;
import ${loomstep.boot.health.endpoint}.HealthEndpointGroups;
import ${loomstep.boot.health.endpoint}.HealthEndpointGroupsPostProcessor;
import ${loomstep.boot.health.endpoint}.HttpCodeStatusMapper;
import ${loomstep.boot.health.endpoint}.StatusAggregator;

/**
 * Makes {@code /actuator/health/loomstep} answer under Spring Boot's defaults. Boot serves a single
 * component's path only when the health endpoint shows components ({@code show-components} or
 * {@code show-details}, both {@code never} by default), so the indicator's own path was a 404; a health
 * group's path is always served. This adds a group {@code loomstep} holding the Loomstep indicator
 * ({@link LoomstepAutoConfiguration#HEALTH_COMPONENT}), with the main endpoint's status mapping and its
 * rules for showing details: by default it answers {@code {"status":"UP"}} (200) or {@code DOWN} (503),
 * and the details (sync error, connection state) appear where the endpoint shows them
 * ({@code management.endpoint.health.show-details}). A group {@code loomstep} of the application's own
 * configuration is left as it is.
 *
 * <p>A template: each starter's build writes it out with the package of its Boot's health API.
 */
final class LoomstepHealthGroup implements HealthEndpointGroupsPostProcessor {
    static final String NAME = "loomstep";

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        if (groups.get(NAME) != null) {
            return groups;
        }
        var all = new LinkedHashMap<String, HealthEndpointGroup>();
        for (String name : groups.getNames()) {
            all.put(name, groups.get(name));
        }
        all.put(NAME, new Group(groups.getPrimary()));
        return HealthEndpointGroups.of(groups.getPrimary(), Map.copyOf(all));
    }

    /** The loomstep indicator alone, shown as the main endpoint shows its components and details. */
    private record Group(HealthEndpointGroup primary) implements HealthEndpointGroup {
        @Override
        public boolean isMember(String name) {
            return LoomstepAutoConfiguration.HEALTH_COMPONENT.equals(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return primary.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return primary.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return primary.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return primary.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return null;
        }
    }
}
