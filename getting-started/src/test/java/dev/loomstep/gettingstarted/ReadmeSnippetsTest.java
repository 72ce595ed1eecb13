package dev.loomstep.gettingstarted;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java source files compile as shown, imports included, against the published artifacts. */
class ReadmeSnippetsTest {

    /** What a fragment may use without an import: the API it shows and the JDK's usual packages. */
    private static final String FRAGMENT_IMPORTS = """
            import static org.junit.jupiter.api.Assertions.*;

            import com.fasterxml.jackson.core.type.TypeReference;
            import dev.loomstep.*;
            import dev.loomstep.ai.*;
            import dev.loomstep.fetch.*;
            import dev.loomstep.metrics.*;
            import io.micrometer.core.instrument.MeterRegistry;
            import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
            import com.fasterxml.jackson.databind.JsonNode;
            import dev.loomstep.examples.AccountCreatedFlow;
            import dev.loomstep.examples.AccountCreatedFlow.*;
            import dev.loomstep.test.*;
            import dev.loomstep.undertow.LoomstepServer;
            import dev.loomstep.tracing.*;
            import io.opentelemetry.api.OpenTelemetry;
            import io.opentelemetry.sdk.OpenTelemetrySdk;
            import io.opentelemetry.sdk.trace.SdkTracerProvider;
            import java.nio.file.Path;
            import java.time.*;
            import java.util.*;
            import java.util.concurrent.Callable;
            import org.junit.jupiter.api.Test;
            import org.junit.jupiter.api.extension.RegisterExtension;
            """;

    /**
     * The short fragments (the first example, the step API tour, the tests) compile too: each becomes the
     * body of a method, or of a class when it declares members, of a {@link ReadmeContext} subclass that
     * holds what the fragments take as given.
     */
    @Test
    void everyJavaFragmentInTheReadmeCompilesInItsContext(@TempDir Path dir) throws Exception {
        var fragments = Readme.load().javaFragments();
        assertTrue(fragments.size() >= 4, "the README's fragments (first example, step API, the two tests): " + fragments.size());
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < fragments.size(); i++) {
            String fragment = fragments.get(i);
            boolean members = fragment.lines().anyMatch(l -> l.startsWith("@"));
            String body = members ? fragment : "void fragment() throws Exception {\n" + fragment + "}\n";
            String source = "package readme;\n" + FRAGMENT_IMPORTS
                    + "class Fragment" + i + " extends dev.loomstep.gettingstarted.ReadmeContext {\n" + body + "}\n";
            Path p = dir.resolve("src/readme/Fragment" + i + ".java");
            Files.createDirectories(p.getParent());
            Files.writeString(p, source);
            paths.add(p);
        }
        compile(dir, paths, "README fragments do not compile");
    }

    @Test
    void everyJavaSourceFileInTheReadmeCompilesAsShown(@TempDir Path dir) throws Exception {
        var files = Readme.load().javaFiles();
        assertTrue(files.size() >= 3, "the getting-started files (Checkout, Main, ShopApplication) are in the README: " + files);
        // All together, as one project would hold them (Main uses Checkout).
        List<Path> paths = new ArrayList<>();
        for (var f : files) {
            Path p = dir.resolve("src").resolve(f.path());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.source());
            paths.add(p);
        }
        compile(dir, paths, "README snippets do not compile");
    }

    private static void compile(Path dir, List<Path> paths, String failure) throws Exception {
        var compiler = ToolProvider.getSystemJavaCompiler();
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        try (var fm = compiler.getStandardFileManager(diagnostics, null, null)) {
            boolean ok = compiler.getTask(null, fm, diagnostics,
                    List.of("--release", "21", "-proc:none", "-classpath", System.getProperty("java.class.path"), "-d", dir.resolve("out").toString()),
                    null, fm.getJavaFileObjectsFromPaths(paths)).call();
            assertTrue(ok, failure + ": " + diagnostics.getDiagnostics());
        }
    }
}
