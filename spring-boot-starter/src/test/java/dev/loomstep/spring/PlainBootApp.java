package dev.loomstep.spring;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.middleware.Middleware;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;

/**
 * A Boot web app with the starter, for {@link WithoutMicrometerTest}, which runs it in a JVM without
 * Micrometer or actuator on the classpath. Prints {@code plain-app ready} with what it found once it
 * serves and is synced. Arguments are Spring properties ({@code --loomstep.dev-server-url=…}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class PlainBootApp {
    @Bean
    Function<com.fasterxml.jackson.databind.JsonNode, String> greet() {
        return Function.builder("greet").trigger(Trigger.event("plain/greet")).handler((input, step) -> step.run("hello", String.class, () -> "hello"));
    }

    public static void main(String[] args) {
        var context = new SpringApplicationBuilder(PlainBootApp.class).properties("server.port=0", "loomstep.app-id=plain").run(args);
        boolean micrometer;
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry");
            micrometer = true;
        } catch (ClassNotFoundException e) {
            micrometer = false;
        }
        // The middleware beans by class (the tracing auto-configuration adds one when the OTel API is there).
        var middleware = java.util.Arrays.stream(context.getBeanNamesForType(Middleware.class))
                .map(name -> context.getType(name).getSimpleName()).sorted().toList();
        System.out.println("plain-app ready; micrometer " + (micrometer ? "present" : "absent") + "; middleware beans " + middleware);
    }
}
