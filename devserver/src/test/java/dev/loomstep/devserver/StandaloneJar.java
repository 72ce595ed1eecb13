package dev.loomstep.devserver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The standalone devserver as users run it: {@code java -jar target/devserver.jar}, the shaded jar that
 * {@code package} builds. Failsafe passes its path in {@code loomstep.devserver.jar}; the *IT tests that
 * use it run in {@code verify}, after the jar exists.
 */
final class StandaloneJar {
    static final String PROPERTY = "loomstep.devserver.jar";

    private StandaloneJar() {}

    /** The jar's path; fails with one line when it was not built. */
    static Path path() {
        Path jar = Path.of(System.getProperty(PROPERTY, "target/devserver.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("the standalone devserver jar " + jar + " is missing: build it with "
                    + "./loom mvn -B -pl devserver -am verify (it runs package before these tests)");
        }
        return jar;
    }

    /** {@code java [jvmOptions] -jar devserver.jar [args]}, on the JDK running the tests. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        var cmd = new ArrayList<String>();
        cmd.add(java);
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // as ./loom devserver does: Undertow's buffer cleanup
        }
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(path().toString());
        cmd.addAll(args);
        return cmd;
    }
}
