package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's embedding example, taken from README.md as it is, compiled as a module of its
 * own against aranya.sync with javac, and run with java -m: the documentation cannot rot.
 */
class EmbeddingExampleTest {
    @TempDir
    Path dir;

    private static String block(String readme, String name) {
        String begin = "<!-- " + name + ":begin -->";
        int start = readme.indexOf(begin);
        int end = readme.indexOf("<!-- " + name + ":end -->");
        assertThat(start).as("README marker %s", begin).isNotNegative();
        String fenced = readme.substring(start + begin.length(), end).trim();
        return fenced.substring(fenced.indexOf('\n') + 1, fenced.lastIndexOf("```"));
    }

    private static List<String> run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return output.lines().toList();
    }

    @Test
    void theReadmeExampleCompilesAndRuns() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), block(readme, "embedding-module"));
        Files.writeString(src.resolve("example/Example.java"), block(readme, "embedding-example"));

        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        String javac = java.resolveSibling("javac").toString();
        String modulePath = System.getProperty("jdk.module.path", System.getProperty("java.class.path"));
        Path out = dir.resolve("out");
        List<String> compile = new ArrayList<>(List.of(javac, "--release", "21", "-p", modulePath, "-d", out.toString(),
                src.resolve("module-info.java").toString(), src.resolve("example/Example.java").toString()));
        run(compile);

        List<String> output = run(List.of(java.toString(), "-p", modulePath + File.pathSeparator + out,
                "-m", "my.app/example.Example", dir.resolve("data").toString()));
        assertThat(output).contains("same heads: true");
        assertThat(output.stream().filter(l -> l.contains("Basic(1)")).count()).isEqualTo(2);
    }
}
