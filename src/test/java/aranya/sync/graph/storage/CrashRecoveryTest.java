package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.ChildJvm;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM with SIGKILL while it ingests into a file store, again and again, and
 * checks after each kill that every acknowledged batch is there, that no batch is half
 * there, and that the store opens consistent and takes new batches.
 */
class CrashRecoveryTest {
    private static final int ITERATIONS = 15;

    @TempDir
    Path dir;

    @Test
    void kill9DuringIngestLosesNothingAcknowledged() throws Exception {
        Random rnd = new Random(7);
        List<CommandId> acknowledged = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            Process child = ChildJvm.test(CrashIngestChild.class, dir.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            int killAfter = 1 + rnd.nextInt(4);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertThat(line).as("child start").startsWith("READY");
                for (int acks = 0; acks < killAfter; acks++) {
                    line = out.readLine();
                    assertThat(line).as("iteration %d", i).startsWith("ACK ");
                    acknowledged.add(CommandId.fromHex(line.substring(4)));
                }
                child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            GraphId graphId = GraphId.fromHex(Files.readString(dir.resolve("graph.id")));
            try (Graph graph = Graph.open(new FileStorageProvider(dir.resolve("graphs")).open(graphId), new TeamMembersPolicy())) {
                for (CommandId id : acknowledged) {
                    assertThat(graph.contains(id)).as("acknowledged %s after kill %d", id, i).isTrue();
                }
                assertThat((graph.size() - 1) % CrashIngestChild.BATCH).as("whole batches only").isZero();
                assertThat(graph.weave()).hasSize(graph.size());
            }
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ITERATIONS);
    }
}
