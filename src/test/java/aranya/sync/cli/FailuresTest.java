package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StoredBatch;
import aranya.sync.graph.TeamMembersPolicy;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors reach the user with their cause in words they know. */
class FailuresTest {
    @TempDir
    Path dir;

    /** A store whose disk is full: the JDK's IOException carries the operating system's text. */
    private record FullDisk(GraphId graphId) implements GraphStore {
        @Override
        public long replay(long from, ReplaySink sink) {
            return 0;
        }

        @Override
        public StoredBatch append(List<Command> batch) throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public Command read(long locator) throws IOException {
            throw new IOException("this store holds nothing");
        }

        @Override
        public void close() {}
    }

    @Test
    void aFullDiskSaysSoThroughTheStorageLayer() throws Exception {
        Command init = TeamMembersPolicy.createTeam(DeviceKey.generate(), List.of());
        Graph graph = Graph.open(new FullDisk(GraphId.of(init.id())), new TeamMembersPolicy());
        assertThatThrownBy(() -> graph.addCommands(List.of(init)))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(Failures.describe(e))
                        .startsWith("STORAGE: cannot store a batch of graph")
                        .contains("No space left on device", "the disk is full"));
    }

    @Test
    void aFileTheJdkNamesOnlyByPathSaysPermissionDenied() {
        SyncException e = new SyncException(SyncError.STORAGE, "cannot store the secret of team x",
                new AccessDeniedException("/data/teams/x.secret.tmp"));
        assertThat(Failures.describe(e))
                .isEqualTo("STORAGE: cannot store the secret of team x: permission denied: /data/teams/x.secret.tmp");
    }

    @Test
    void aRealFileSystemErrorKeepsTheOperatingSystemsReason() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> Files.createDirectories(notADirectory.resolve("sub")));
        assertThat(Failures.describe(new IllegalStateException("cannot open the node", e))).startsWith("cannot open the node: ")
                .contains(notADirectory.toString());
    }

    @Test
    void aWrongTeamSecretIsNamedAsSuch() {
        String text = Failures.describe(new SyncException(SyncError.AUTH_FAILED, "the server could not prove it holds the team secret"));
        assertThat(text).contains("same team secret", "team export");
    }
}
