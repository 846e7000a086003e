package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as users run it: {@code java -m aranya.sync/aranya.sync.cli.Main} in
 * separate processes with separate data directories, talking QUIC over loopback.
 */
class CliProcessTest {
    @TempDir
    Path dir;

    private static ProcessBuilder cli(Path data, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--data", data.toString()));
        return ChildJvm.module(Main.class.getName(), command).redirectErrorStream(true);
    }

    /** Runs a command to completion; returns its output lines, asserting its exit code. */
    private static List<String> run(int expectedExit, Path data, String... args) throws Exception {
        Process p = cli(data, args).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit of %s: %s", String.join(" ", args), lines).isEqualTo(expectedExit);
        return lines;
    }

    private static String field(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length()).trim();
    }

    @Test
    void twoProcessesConvergeThroughServeAndBidirectionalSync() throws Exception {
        Path alice = dir.resolve("alice");
        Path bob = dir.resolve("bob");
        run(0, alice, "init");
        String bobKey = field(run(0, bob, "init"), "device public key");
        String credentials = field(run(0, alice, "team", "create", "--member", bobKey), "credentials");
        run(0, bob, "team", "join", credentials);
        run(0, alice, "append", "message", "from alice");
        // bob's graph is empty until he first syncs, so his append fails with one clear line
        List<String> early = run(1, bob, "append", "message", "from bob");
        assertThat(early).hasSize(1);
        assertThat(early.get(0)).contains("NO_SUCH_GRAPH", "no init command yet");
        Process server = cli(alice, "serve", "--listen", "127.0.0.1:0").start();
        // Not try-with-resources: closing the reader would wait for the draining thread,
        // which only ends when the server exits.
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        try {
            String address = null;
            while (address == null) {
                String line = out.readLine();
                if (line == null) {
                    break; // the server died; the assertion below says so
                }
                if (line.startsWith("listening on ")) {
                    address = line.substring("listening on ".length());
                }
            }
            assertThat(address).isNotNull();
            Thread.ofVirtual().start(() -> out.lines().forEach(line -> { })); // keep the server's pipe drained
            List<String> synced = run(0, bob, "sync", address, "--bidirectional");
            assertThat(String.join("\n", synced)).contains("received 2 commands (2 new)");
            run(0, bob, "append", "message", "bob again");
            List<String> again = run(0, bob, "sync", address, "--bidirectional");
            assertThat(String.join("\n", again)).contains("sent 1");
        } finally {
            server.destroy(); // SIGTERM: the shutdown hook closes the node
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        List<String> aliceLog = run(0, alice, "log");
        List<String> bobLog = run(0, bob, "log");
        assertThat(aliceLog).hasSize(4).isEqualTo(bobLog); // three commands and the heads
        assertThat(String.join("\n", aliceLog)).contains("from alice", "bob again");
    }

    @Test
    void mistakesExitNonZeroWithOneLine() throws Exception {
        Path data = dir.resolve("x");
        List<String> unknown = run(2, data, "frobnicate");
        assertThat(unknown).hasSize(1);
        assertThat(unknown.get(0)).contains("unknown command");
        List<String> noTeam = run(2, data, "log");
        assertThat(noTeam).hasSize(1);
        assertThat(noTeam.get(0)).contains("no team");
        List<String> help = run(0, data, "sync", "--help");
        assertThat(help.get(0)).startsWith("usage: aranya-sync sync");
    }
}
