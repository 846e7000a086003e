package aranya.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported API compiles for a consumer: javac's {@code exports} lint, as an error, over
 * the module's own sources finds every public or protected signature of an exported package
 * that names a type a consumer module cannot use (one of a package the module does not
 * export, or of a module it does not require transitively). A consumer calling such a member
 * does not compile, so one such signature fails this test, naming it.
 */
class ExportedApiTest {
    @TempDir
    Path dir;

    @Test
    void noExportedSignatureNamesATypeConsumersCannotSee() throws Exception {
        List<String> sources;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        assertThat(sources).anyMatch(s -> s.endsWith("module-info.java"));
        // The dependencies only: the module's own classes come from the sources above.
        String modulePath = Arrays.stream(System.getProperty("jdk.module.path", System.getProperty("java.class.path")).split(File.pathSeparator))
                .filter(entry -> entry.endsWith(".jar"))
                .collect(Collectors.joining(File.pathSeparator));
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        // The lint runs while javac attributes the code: stopping after flow analysis skips
        // code generation, which is a third of the time and checks nothing here.
        List<String> command = new ArrayList<>(List.of(java.resolveSibling("javac").toString(), "--release", "21",
                "-Xlint:none", "-Xlint:exports", "-Werror", "-proc:none", "-implicit:none", "-XDshould-stop.ifNoError=FLOW",
                "-p", modulePath, "-d", dir.toString()));
        command.addAll(sources);
        Process javac = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(javac.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(javac.exitValue()).as(output).isZero();
    }
}
