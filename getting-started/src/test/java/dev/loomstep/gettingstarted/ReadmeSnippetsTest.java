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
        var compiler = ToolProvider.getSystemJavaCompiler();
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        try (var fm = compiler.getStandardFileManager(diagnostics, null, null)) {
            boolean ok = compiler.getTask(null, fm, diagnostics,
                    List.of("--release", "21", "-proc:none", "-classpath", System.getProperty("java.class.path"), "-d", dir.resolve("out").toString()),
                    null, fm.getJavaFileObjectsFromPaths(paths)).call();
            assertTrue(ok, "README snippets do not compile: " + diagnostics.getDiagnostics());
        }
    }
}
