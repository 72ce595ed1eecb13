package dev.loomstep.spring;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.connect.ConnectionState;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;

/**
 * A Boot app without a web server, served over Connect, for {@link SigtermDrainTest}: its one step says
 * when it starts, takes two seconds and says when it ends; prints {@code connect-app ready} once its
 * worker is connected. Arguments are Spring properties ({@code --loomstep.dev-server-url=…}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SigtermConnectApp {
    @Bean
    Function<com.fasterxml.jackson.databind.JsonNode, String> slow() {
        return Function.builder("slow").trigger(Trigger.event("shop/slow")).handler((input, step) -> step.run("two-seconds", String.class, () -> {
            System.out.println("step started");
            Thread.sleep(2_000);
            System.out.println("step finished");
            return "slept";
        }));
    }

    public static void main(String[] args) throws InterruptedException {
        var context = new SpringApplicationBuilder(SigtermConnectApp.class).web(WebApplicationType.NONE)
                .properties("loomstep.app-id=shop", "loomstep.connect.enabled=true").run(args);
        var worker = context.getBean(LoomstepConnectWorker.class);
        while (worker.state() != ConnectionState.ACTIVE) {
            Thread.sleep(20);
        }
        System.out.println("connect-app ready");
        // main ends here: the worker's thread is what keeps this JVM up, as in any Connect-only Boot app
    }
}
