package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A container that does not allow async processing still gets every answer, on its own thread. */
class ServletWithoutAsyncTest {

    @Test
    void answersOnTheContainersThreadWhenAsyncIsNotSupported() throws Exception {
        var apps = new TestApps();
        var deployment = Servlets.deployment()
                .setClassLoader(getClass().getClassLoader())
                .setContextPath("/")
                .setDeploymentName("loomstep-sync")
                .addServlet(Servlets.servlet("inngest", LoomstepServlet.class, new ImmediateInstanceFactory<>(new LoomstepServlet(apps.devApp())))
                        .addMapping("/api/inngest")
                        .setAsyncSupported(false));
        var manager = Servlets.defaultContainer().addDeployment(deployment);
        manager.deploy();
        var undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(Handlers.path().addPrefixPath("/", manager.start())).build();
        undertow.start();
        try {
            int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
            String url = "http://127.0.0.1:" + port + "/api/inngest";
            assertEquals(200, TestHttp.get(url).status());
            var call = TestHttp.send("POST", url + "?fnId=peer-hello&stepId=step", Map.of(), TestHttp.resource("calls/discover.json"));
            assertEquals(206, call.status(), call.body());
            assertEquals("servlet", call.header("X-Inngest-Framework"));
        } finally {
            undertow.stop();
            manager.stop();
            manager.undeploy();
        }
    }
}
