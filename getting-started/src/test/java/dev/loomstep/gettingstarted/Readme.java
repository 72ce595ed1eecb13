package dev.loomstep.gettingstarted;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The root README.md's fenced code blocks, by language. */
record Readme(String text) {
    private static final Pattern FENCE = Pattern.compile("(?m)^```(\\w+)\\n(.*?)^```$", Pattern.DOTALL);
    private static final Pattern TYPE = Pattern.compile("(?m)^(?:public )?(?:final )?(?:class|record|interface) (\\w+)");

    static Readme load() throws IOException {
        String root = System.getProperty("loomstep.repoRoot", "..");
        return new Readme(Files.readString(Path.of(root, "README.md")));
    }

    List<String> blocks(String language) {
        var out = new ArrayList<String>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(language)) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    /** The Java blocks that are whole source files (a package line first), as {@code path → source}. */
    List<SourceFile> javaFiles() {
        var out = new ArrayList<SourceFile>();
        for (String block : blocks("java")) {
            if (!block.startsWith("package ")) {
                continue;
            }
            String pkg = block.substring("package ".length(), block.indexOf(';'));
            Matcher type = TYPE.matcher(block);
            if (!type.find()) {
                throw new AssertionError("a README source file without a top-level type:\n" + block);
            }
            out.add(new SourceFile(pkg.replace('.', '/') + "/" + type.group(1) + ".java", block));
        }
        return out;
    }

    /** The Java blocks that are not whole source files: fragments of a method body or of a class body. */
    List<String> javaFragments() {
        return blocks("java").stream().filter(b -> !b.startsWith("package ")).toList();
    }

    /** The first XML block that is a whole pom. */
    String pom() {
        return blocks("xml").stream().filter(b -> b.startsWith("<project")).findFirst()
                .orElseThrow(() -> new AssertionError("the README has no whole pom.xml"));
    }

    record SourceFile(String path, String source) {
        /** A test class: it belongs under src/test/java. */
        boolean isTest() {
            return source.contains("import org.junit.");
        }
    }
}
