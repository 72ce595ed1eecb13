package dev.loomstep.devserver;

import dev.loomstep.testkit.ChildJvm;
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

    /** {@code java [jvmOptions] -jar devserver.jar [args]}, on the JDK running the tests (see {@link ChildJvm#java}). */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        var all = new ArrayList<String>();
        all.add("-jar");
        all.add(path().toString());
        all.addAll(args);
        return ChildJvm.java(jvmOptions, all);
    }
}
