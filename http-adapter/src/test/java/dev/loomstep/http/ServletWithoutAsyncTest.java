package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A container that does not allow async processing still gets every answer, on its own thread. */
class ServletWithoutAsyncTest {

    @Test
    void answersOnTheContainersThreadWhenAsyncIsNotSupported() throws Exception {
        var apps = new TestApps();
        try (var tomcat = TomcatContainer.start(new LoomstepServlet(apps.devApp()), "", "/api/inngest", false)) {
            String url = tomcat.url();
            assertEquals(200, TestHttp.get(url).status());
            var call = TestHttp.send("POST", url + "?fnId=peer-hello&stepId=step", Map.of(), TestHttp.resource("calls/discover.json"));
            assertEquals(206, call.status(), call.body());
            assertEquals("servlet", call.header("X-Inngest-Framework"));
        }
    }
}
