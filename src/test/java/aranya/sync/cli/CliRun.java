package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.ChildJvm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One finished run of the command line in its own JVM, as a user runs it: exit code, standard
 * output and standard error apart, both decoded as UTF-8.
 */
record CliRun(int exit, String out, String err) {
    /** The command line for data (null: args say where), with the test's environment changes. */
    static ProcessBuilder process(Path data, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        if (data != null) {
            command.addAll(List.of("--data", data.toString()));
        }
        ProcessBuilder pb = ChildJvm.module(Main.class.getName(), command);
        pb.environment().putAll(env);
        return pb;
    }

    /** Runs args on data with stdin as standard input; waits at most a minute. */
    static CliRun run(Path data, Map<String, String> env, byte[] stdin, String... args) throws Exception {
        Process p = process(data, env, args).start();
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended", String.join(" ", args)).isTrue();
        return new CliRun(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    static CliRun run(Path data, String... args) throws Exception {
        return run(data, Map.of(), new byte[0], args);
    }

    /** Runs args and asserts the exit code, showing both streams if it differs. */
    static CliRun expect(int exit, Path data, String... args) throws Exception {
        CliRun r = run(data, args);
        assertThat(r.exit()).as("exit of %s; out: %s; err: %s", String.join(" ", args), r.out(), r.err()).isEqualTo(exit);
        return r;
    }

    List<String> lines() {
        return out.lines().toList();
    }

    /** The rest of the first output line that starts with prefix. */
    String field(String prefix) {
        return lines().stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length()).trim();
    }

    /** Reads stream to its end on a virtual thread (the common pool has one thread on two cores). */
    static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }
}
