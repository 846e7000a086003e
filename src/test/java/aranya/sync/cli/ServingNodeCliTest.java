package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line on a data directory while {@code serve} runs there, each command in its
 * own JVM: the commands run in the serving node through its control socket, and the node's
 * graph and status are what they say.
 */
class ServingNodeCliTest {
    @TempDir
    Path dir;

    private Process server;
    private CompletableFuture<String> serverErr;

    /** Starts serve on data; returns its listen address once it prints it. */
    private String serve(Path data) throws Exception {
        server = CliRun.process(data, Map.of(), "serve", "--listen", "127.0.0.1:0").start();
        serverErr = CliRun.drain(server.getErrorStream());
        // Not try-with-resources: closing the reader would wait for the draining thread.
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String address = null;
        while (address == null) {
            String line = out.readLine();
            if (line == null) {
                break; // serve died; the assertion below says why
            }
            if (line.startsWith("listening on ")) {
                address = line.substring("listening on ".length());
            }
        }
        assertThat(address).as("serve printed its address; stderr: %s", server.isAlive() ? "(running)" : serverErr.get()).isNotNull();
        CliRun.drain(server.getInputStream()); // keep the server's pipe drained until it exits
        return address;
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroy(); // SIGTERM: the shutdown hook closes the node
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void commandsRunInTheServingNodeAndASecondNodeSyncsWhatTheyWrote() throws Exception {
        Path alice = dir.resolve("alice");
        Path bob = dir.resolve("bob");
        CliRun.expect(0, alice, "init");
        String bobKey = CliRun.expect(0, bob, "init").field("device public key");
        String credentials = CliRun.expect(0, alice, "team", "create", "--member", bobKey).field("credentials");
        CliRun.expect(0, bob, "team", "join", credentials);
        String address = serve(alice);

        String appended = CliRun.expect(0, alice, "append", "note", "written while serving").out().strip();
        CliRun.expect(0, alice, "peer", "add", "127.0.0.1:9", "--no-sync-now");

        Map<String, Object> status = JsonParser.object(CliRun.expect(0, alice, "status", "--json").out());
        assertThat(status).containsEntry("running", true).containsEntry("listen", address)
                .containsEntry("data", alice.toAbsolutePath().toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> team = (Map<String, Object>) ((List<?>) status.get("teams")).get(0);
        assertThat(team).containsEntry("id", credentials.substring(0, 64)).containsEntry("commands", 2L);
        @SuppressWarnings("unchecked")
        Map<String, Object> head = (Map<String, Object>) ((List<?>) team.get("heads")).get(0);
        assertThat(head).containsEntry("id", appended).containsEntry("max_cut", 1L);
        assertThat((List<?>) status.get("peers")).hasSize(1); // the peer added while serving is scheduled at once
        assertThat(status).containsEntry("open_sessions", 0L).containsKey("hello_subscribers");

        List<Map<String, Object>> log = CliRun.expect(0, alice, "log", "--json").lines().stream().map(JsonParser::object).toList();
        assertThat(log).hasSize(2);
        assertThat(log.get(0)).containsEntry("priority", "init").containsEntry("parent", null);
        assertThat(log.get(1)).containsEntry("id", appended).containsEntry("text", "written while serving")
                .containsEntry("kind", "note").containsEntry("priority_value", 1L).containsEntry("parent", team.get("id"));
        List<String> last = CliRun.expect(0, alice, "log", "--limit", "1").lines();
        assertThat(last).hasSize(2);
        assertThat(last.get(0)).contains("written while serving");
        assertThat(last.get(1)).startsWith("heads [").contains("@1");
        // repair never runs inside a node, and the serving node's directory lock keeps it out.
        assertThat(CliRun.expect(1, alice, "repair").err()).contains("in use by another process", "one node at a time");

        Map<String, Object> synced = JsonParser.object(CliRun.expect(0, bob, "sync", address, "--json").out());
        assertThat(synced).containsEntry("received", 2L).containsEntry("added", 2L).containsEntry("commands", 2L)
                .containsEntry("heads", team.get("heads"));
        assertThat(CliRun.expect(0, bob, "log").out()).contains("written while serving");

        Map<String, Object> afterServing = JsonParser.object(CliRun.expect(0, alice, "status", "--json").out());
        assertThat(afterServing.get("peers").toString()).contains("127.0.0.1:9");
    }

    @Test
    void aSecondServeIsRefusedAndTheControlSocketIsOwnerOnly() throws Exception {
        Path data = dir.resolve("node");
        CliRun.expect(0, data, "init");
        serve(data);
        CliRun second = CliRun.expect(1, data, "serve", "--listen", "127.0.0.1:0");
        assertThat(second.err()).contains("in use by another process", "pid " + server.pid());

        Path socket = data.resolve("control").resolve("socket");
        assertThat(Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class).isOther()).as("a socket").isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("node.lock")))).isEqualTo("rw-------");

        server.destroy();
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(socket).doesNotExist();
        assertThat(JsonParser.object(CliRun.expect(0, data, "status", "--json").out())).containsEntry("running", false);
    }

    @Test
    void aStaleSocketFromAKilledNodeDoesNotConfuseTheCli() throws Exception {
        Path data = dir.resolve("node");
        CliRun.expect(0, data, "init");
        CliRun.expect(0, data, "team", "create");
        serve(data);
        server.destroyForcibly(); // SIGKILL: the socket file stays behind
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(data.resolve("control").resolve("socket")).exists();

        CliRun.expect(0, data, "append", "note", "after the crash");
        assertThat(CliRun.expect(0, data, "log").out()).contains("after the crash");
        String address = serve(data); // replaces the stale socket
        assertThat(JsonParser.object(CliRun.expect(0, data, "status", "--json").out())).containsEntry("listen", address);
    }
}
