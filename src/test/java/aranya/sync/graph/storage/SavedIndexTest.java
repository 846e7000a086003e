package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.LogRecords;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.ForwardingStore;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The saved index beside a graph log ({@code <team>.index}): reopening replays only the log
 * after it, and an index that is torn, damaged, stale or made for another log is never
 * trusted: the graph opens exactly as a full replay of the log builds it, and saves a good
 * index again.
 */
class SavedIndexTest {
    private static final TeamMembersPolicy POLICY = new TeamMembersPolicy();

    @TempDir
    Path dir;

    /** What a graph answers, for comparing two opens. */
    private record State(List<Address> heads, int size, List<CommandId> weave) {
        static State of(Graph g) throws SyncException {
            return new State(g.heads(), g.size(), g.weave().stream().map(Command::id).toList());
        }
    }

    /** A graph of about 60 commands in batches of one and more: a granted member, forks, merges. */
    private GraphId build(Path graphs, DeviceKey founder, DeviceKey member) throws Exception {
        Command init = TeamMembersPolicy.createTeam(founder, List.of());
        GraphId id = GraphId.of(init.id());
        try (Graph g = Graph.open(new FileStorageProvider(graphs).open(id), POLICY);
                Graph other = Graph.open(new InMemoryStorageProvider().open(id), POLICY)) {
            g.addCommands(List.of(init));
            for (int i = 0; i < 10; i++) {
                g.append(founder, Priority.basic(1), "note", Bytes.of(new byte[] {(byte) i}));
            }
            g.append(founder, Priority.basic(1), TeamMembersPolicy.ADD_MEMBER, Bytes.of(member.publicKey()));
            for (int round = 0; round < 4; round++) {
                other.addCommands(g.missing(other.heads()));
                for (int i = 0; i < 5; i++) {
                    other.append(member, Priority.basic(2), "theirs", Bytes.of(new byte[] {(byte) round, (byte) i}));
                    g.append(founder, Priority.basic(1), "ours", Bytes.of(new byte[] {(byte) round, (byte) i}));
                }
                g.addCommands(other.missing(g.heads())); // leaves two heads; the next append merges them
            }
        }
        return id;
    }

    private Path index(Path graphs, GraphId id) {
        return graphs.resolve(id.toHex() + ".index");
    }

    /** Opens the graph, counting the commands replayed from the log. */
    private static Graph open(Path graphs, GraphId id, AtomicInteger replayed) throws Exception {
        GraphStore store = new FileStorageProvider(graphs).open(id);
        return Graph.open(new Counting(store, replayed), POLICY);
    }

    @Test
    void reopeningReplaysOnlyWhatTheSavedIndexDoesNotCover() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        DeviceKey member = DeviceKey.generate();
        GraphId id = build(dir, founder, member);
        AtomicInteger replayed = new AtomicInteger();
        State after;
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).as("commands replayed although the index covers the whole log").hasValue(0);
            assertThat(g.size()).isGreaterThan(50);
            // The member's grant came back from the index: the member may still write.
            g.append(member, Priority.basic(1), "after reopen", Bytes.EMPTY);
            after = State.of(g);
        }
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).hasValue(0);
            assertThat(State.of(g)).isEqualTo(after);
        }
        Files.delete(index(dir, id)); // a directory from before the saved index: it is rebuilt
        replayed.set(0);
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).hasValue(after.size());
            assertThat(State.of(g)).isEqualTo(after);
        }
        replayed.set(0);
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).hasValue(0);
            assertThat(State.of(g)).isEqualTo(after);
        }
    }

    @Test
    void aTornOrDamagedIndexIsRebuiltFromTheLog() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        State reference;
        try (Graph g = open(dir, id, new AtomicInteger())) {
            reference = State.of(g);
        }
        Path index = index(dir, id);
        byte[] good = Files.readAllBytes(index);
        int cases = 0;
        int step = Math.max(1, good.length / 60);
        for (int at = 0; at < good.length; at += step) {
            // A crash tears the end off; outside damage changes a byte anywhere.
            for (byte[] damaged : List.of(Arrays.copyOf(good, at), flipped(good, at))) {
                Files.write(index, damaged);
                AtomicInteger replayed = new AtomicInteger();
                try (Graph g = open(dir, id, replayed)) {
                    assertThat(State.of(g)).as("index cut or flipped at byte %d", at).isEqualTo(reference);
                }
                replayed.set(0);
                try (Graph g = open(dir, id, replayed)) {
                    assertThat(replayed).as("the rebuilt index covers the log (byte %d)", at).hasValue(0);
                    assertThat(g.size()).isEqualTo(reference.size());
                }
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(50);
    }

    @Test
    void anIndexMadeForAnotherLogIsNotTrusted() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        GraphId idA = build(a, founder, DeviceKey.generate());
        GraphId idB = build(b, founder, DeviceKey.generate());
        State referenceB;
        try (Graph g = open(b, idB, new AtomicInteger())) {
            referenceB = State.of(g);
        }
        Files.copy(index(a, idA), index(b, idB), StandardCopyOption.REPLACE_EXISTING);
        AtomicInteger replayed = new AtomicInteger();
        try (Graph g = open(b, idB, replayed)) {
            assertThat(State.of(g)).isEqualTo(referenceB);
            assertThat(replayed).hasValue(referenceB.size());
        }
    }

    /**
     * Damage after the part of the log the saved index covers is in the tail the open replays:
     * refused at open, naming file and offset, with nothing changed.
     */
    @Test
    void damageAfterTheSavedIndexIsRefusedAtOpen() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        Path log = dir.resolve(id.toHex() + ".graph");
        byte[] olderIndex = Files.readAllBytes(index(dir, id));
        long covered = Files.size(log);
        try (Graph g = open(dir, id, new AtomicInteger())) {
            for (int i = 0; i < 3; i++) {
                g.append(founder, Priority.basic(1), "later", Bytes.of(new byte[] {(byte) i}));
            }
        }
        Files.write(index(dir, id), olderIndex); // as if the index records of the last batches were lost
        byte[] bytes = Files.readAllBytes(log);
        int at = (int) covered + 20; // in the first batch after the index's coverage
        bytes[at] ^= 0x40;
        Files.write(log, bytes);
        assertThatThrownBy(() -> open(dir, id, new AtomicInteger()))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.getCause())
                        .isInstanceOfSatisfying(CorruptLogException.class, c -> {
                            assertThat(c.file()).isEqualTo(log);
                            assertThat(c.offset()).isEqualTo(covered);
                            assertThat(c.getMessage()).contains(log.toString(), "byte " + covered, "aranya-sync repair");
                        }));
        assertThat(Files.readAllBytes(log)).isEqualTo(bytes);
    }

    /**
     * Damage inside the part the saved index covers: the graph opens (that part is not read),
     * and the background check finds it, logs one SEVERE line naming file, offset and repair,
     * and makes every later append fail with that cause, truncating nothing. Repair then
     * keeps the batches before the damage and the graph opens with them.
     */
    @Test
    void damageTheSavedIndexCoversIsFoundInTheBackground() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        Path log = dir.resolve(id.toHex() + ".graph");
        State reference;
        try (Graph g = open(dir, id, new AtomicInteger())) {
            reference = State.of(g);
        }
        byte[] bytes = Files.readAllBytes(log);
        int at = bytes.length / 2;
        bytes[at] ^= 0x40;
        Files.write(log, bytes);
        CorruptLogException found;
        try (LogRecords logged = LogRecords.of(FileGraphStore.class.getName())) {
            FileGraphStore store = (FileGraphStore) new FileStorageProvider(dir).open(id);
            try (Graph g = Graph.open(store, POLICY)) {
                assertThat(g.size()).isEqualTo(reference.size());
                found = store.coveredCheck().get(30, TimeUnit.SECONDS).orElseThrow();
                assertThat(found.file()).isEqualTo(log);
                assertThat(found.offset()).isPositive().isLessThanOrEqualTo(at);
                List<String> severe = logged.matching(r -> r.getLevel() == Level.SEVERE).stream().map(LogRecords::text).toList();
                assertThat(severe).singleElement().asString()
                        .contains(log.toString(), "byte " + found.offset(), "fails its checksum", "aranya-sync repair");
                CommandId head = reference.heads().get(0).id(); // in the last batch, far from the damage
                assertThat(g.command(head)).as("reads of intact records go on").get().extracting(Command::id).isEqualTo(head);
                assertThatThrownBy(() -> g.append(founder, Priority.basic(1), "after damage", Bytes.EMPTY))
                        .isInstanceOfSatisfying(SyncException.class, e -> {
                            assertThat(e.error()).isEqualTo(SyncError.STORAGE);
                            assertThat(e.getCause()).isInstanceOf(CorruptLogException.class).hasMessage(found.getMessage());
                        });
            }
        }
        assertThat(Files.readAllBytes(log)).as("nothing truncated, nothing written").isEqualTo(bytes);

        FileStorageProvider.Repair repair = new FileStorageProvider(dir).repair(id);
        assertThat(repair.keptBytes()).isEqualTo(found.offset());
        assertThat(repair.movedTo()).contains(dir.resolve(id.toHex() + ".graph.damaged-at-" + found.offset()));
        try (Graph g = open(dir, id, new AtomicInteger())) {
            assertThat(g.size()).isPositive().isLessThan(reference.size());
            g.append(founder, Priority.basic(1), "after repair", Bytes.EMPTY);
        }
    }

    @Test
    void aLogOfANewerFormatIsRefusedNamingItsVersion() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        Path log = dir.resolve(id.toHex() + ".graph");
        byte[] bytes = Files.readAllBytes(log);
        bytes[7] = '2';
        Files.write(log, bytes);
        assertThatThrownBy(() -> open(dir, id, new AtomicInteger()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(log.toString())
                .hasMessageContaining("version '2'");
    }

    private static byte[] flipped(byte[] bytes, int at) {
        byte[] out = bytes.clone();
        out[at] ^= (byte) 0x81;
        return out;
    }

    /** A store that counts the commands it replays. */
    private static final class Counting extends ForwardingStore {
        private final AtomicInteger replayed;

        Counting(GraphStore inner, AtomicInteger replayed) {
            super(inner);
            this.replayed = replayed;
        }

        @Override
        public long replay(long from, ReplaySink sink) throws IOException {
            return super.replay(from, (command, locator, batchEnd) -> {
                replayed.incrementAndGet();
                sink.accept(command, locator, batchEnd);
            });
        }
    }
}
