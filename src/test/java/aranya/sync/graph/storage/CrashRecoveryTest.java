package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.ChildJvm;
import aranya.sync.graph.Command;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM with SIGKILL while it ingests into a file store, again and again, and
 * checks after each kill that every acknowledged batch is there, that no batch is half
 * there, and that the store opens consistent and takes new batches. The child closes and
 * reopens its graph every few batches, saving an index checkpoint each time and marking it
 * dirty at the next batch, and its id table grows several times on the way (at 1536, 3072 and
 * 6144 commands), so kills land in checkpoint saves and table growth too; a few more kill the
 * child while it opens with its checkpoint deleted, i.e. while it rebuilds the whole index.
 * After each kill the graph opened with its index files must equal the graph a full replay of
 * the log builds.
 */
class CrashRecoveryTest {
    private static final int ITERATIONS = 15;
    /** Kills during the rebuild of a deleted index, after the ingest iterations. */
    private static final int KILLS_WHILE_INDEXING = 5;

    @TempDir
    Path dir;

    @Test
    void kill9DuringIngestLosesNothingAcknowledged() throws Exception {
        Random rnd = new Random(7);
        List<CommandId> acknowledged = new ArrayList<>();
        for (int i = 0; i < ITERATIONS + KILLS_WHILE_INDEXING; i++) {
            boolean whileIndexing = i >= ITERATIONS;
            GraphId known = Files.exists(dir.resolve("graph.id")) ? GraphId.fromHex(Files.readString(dir.resolve("graph.id"))) : null;
            if (whileIndexing) {
                Files.delete(dir.resolve("graphs").resolve(known.toHex() + ".index-state"));
            }
            Process child = ChildJvm.test(CrashIngestChild.class, dir.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            int killAfter = 1 + rnd.nextInt(4);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                if (known != null) {
                    assertThat(line).as("child start").isEqualTo("OPENING");
                }
                if (!whileIndexing) {
                    if (known != null) {
                        line = out.readLine();
                    }
                    assertThat(line).as("child ready").startsWith("READY");
                }
                for (int acks = 0; acks < (whileIndexing ? 0 : killAfter); acks++) {
                    line = out.readLine();
                    assertThat(line).as("iteration %d", i).startsWith("ACK ");
                    acknowledged.add(CommandId.fromHex(line.substring(4)));
                }
                child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            GraphId graphId = GraphId.fromHex(Files.readString(dir.resolve("graph.id")));
            List<Command> withIndex;
            try (Graph graph = Graph.open(new FileStorageProvider(dir.resolve("graphs")).open(graphId), new TeamMembersPolicy())) {
                for (CommandId id : acknowledged) {
                    assertThat(graph.contains(id)).as("acknowledged %s after kill %d", id, i).isTrue();
                }
                assertThat((graph.size() - 1) % CrashIngestChild.BATCH).as("whole batches only").isZero();
                withIndex = graph.weave();
                assertThat(withIndex).hasSize(graph.size());
            }
            Path kept = Files.createDirectories(dir.resolve("kept"));
            List<Path> indexFiles;
            try (Stream<Path> files = Files.list(dir.resolve("graphs"))) {
                indexFiles = files.filter(f -> f.getFileName().toString().startsWith(graphId.toHex() + ".index-")).toList();
            }
            for (Path f : indexFiles) {
                Files.move(f, kept.resolve(f.getFileName()));
            }
            try (Graph graph = Graph.open(new FileStorageProvider(dir.resolve("graphs")).open(graphId), new TeamMembersPolicy())) {
                assertThat(graph.weave()).as("the index files after kill %d agree with the log", i).isEqualTo(withIndex);
            }
            try (Stream<Path> files = Files.list(dir.resolve("graphs"))) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith(graphId.toHex() + ".index-")).toList()) {
                    Files.delete(f);
                }
            }
            for (Path f : indexFiles) {
                Files.move(kept.resolve(f.getFileName()), f);
            }
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ITERATIONS);
    }
}
