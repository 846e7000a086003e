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
import aranya.sync.graph.KeyId;
import aranya.sync.graph.Policy;
import aranya.sync.graph.PolicyContext;
import aranya.sync.graph.Priority;
import aranya.sync.graph.SignedContent;
import aranya.sync.graph.TeamMembersPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index files beside a graph log ({@code <team>.index-state}, {@code <team>.index-rows},
 * {@code <team>.index-table-<slots>}): reopening replays only the log after the checkpoint,
 * and a checkpoint that is torn, damaged, missing, made for another log or another policy,
 * or covering more of the log than the log holds, or whose area files are short or missing,
 * is never trusted: the graph opens exactly as a full replay of the log builds it, and saves
 * a good checkpoint again. Damage inside a mapped row is not looked for at open (that would be
 * a pass over every command); it is caught when the row is read, as an exception.
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

    private static Path file(Path graphs, GraphId id, String suffix) {
        return graphs.resolve(id.toHex() + suffix);
    }

    private static Path state(Path graphs, GraphId id) {
        return file(graphs, id, ".index-state");
    }

    /** The files of the index: the state and the areas. */
    private static List<Path> indexFiles(Path graphs, GraphId id) throws IOException {
        try (Stream<Path> files = Files.list(graphs)) {
            return files.filter(f -> f.getFileName().toString().startsWith(id.toHex() + ".index-")).sorted().toList();
        }
    }

    /** Opens the graph, counting the commands replayed from the log. */
    private static Graph open(Path graphs, GraphId id, AtomicInteger replayed) throws Exception {
        return open(graphs, id, replayed, POLICY);
    }

    private static Graph open(Path graphs, GraphId id, AtomicInteger replayed, Policy policy) throws Exception {
        GraphStore store = new FileStorageProvider(graphs).open(id);
        return Graph.open(new Counting(store, replayed), policy);
    }

    /** The graph opened with its index files deleted: a full replay of the log. */
    private State fullReplay(Path graphs, GraphId id) throws Exception {
        Path aside = Files.createTempDirectory(dir, "aside");
        for (Path f : indexFiles(graphs, id)) {
            Files.move(f, aside.resolve(f.getFileName()));
        }
        State state;
        AtomicInteger replayed = new AtomicInteger();
        try (Graph g = open(graphs, id, replayed)) {
            state = State.of(g);
            assertThat(replayed).hasValue(state.size());
        }
        for (Path f : indexFiles(graphs, id)) {
            Files.delete(f);
        }
        try (Stream<Path> kept = Files.list(aside)) {
            for (Path f : kept.toList()) {
                Files.move(f, graphs.resolve(f.getFileName()));
            }
        }
        return state;
    }

    /** Opens the graph, which must equal reference, then again, which must replay nothing: a good checkpoint was saved. */
    private static void opensAsAndHeals(Path graphs, GraphId id, State reference, int replayedFirst, String as) throws Exception {
        AtomicInteger replayed = new AtomicInteger();
        try (Graph g = open(graphs, id, replayed)) {
            assertThat(State.of(g)).as(as).isEqualTo(reference);
            if (replayedFirst >= 0) {
                assertThat(replayed).as(as).hasValue(replayedFirst);
            }
        }
        replayed.set(0);
        try (Graph g = open(graphs, id, replayed)) {
            assertThat(replayed).as("%s: the checkpoint saved again covers the log", as).hasValue(0);
            assertThat(State.of(g)).as(as).isEqualTo(reference);
        }
    }

    @Test
    void reopeningReplaysOnlyWhatTheCheckpointDoesNotCover() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        DeviceKey member = DeviceKey.generate();
        GraphId id = build(dir, founder, member);
        AtomicInteger replayed = new AtomicInteger();
        State after;
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).as("commands replayed although the checkpoint covers the whole log").hasValue(0);
            assertThat(g.size()).isGreaterThan(50);
            // The member's grant came back from the checkpoint: the member may still write.
            g.append(member, Priority.basic(1), "after reopen", Bytes.EMPTY);
            after = State.of(g);
        }
        try (Graph g = open(dir, id, replayed)) {
            assertThat(replayed).hasValue(0);
            assertThat(State.of(g)).isEqualTo(after);
        }
        assertThat(fullReplay(dir, id)).isEqualTo(after);
        Files.delete(state(dir, id)); // lost: rebuilt from the log
        opensAsAndHeals(dir, id, after, after.size(), "state file deleted");
    }

    @Test
    void aTornOrDamagedCheckpointIsRebuiltFromTheLog() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        State reference = fullReplay(dir, id);
        Path state = state(dir, id);
        byte[] good = Files.readAllBytes(state);
        int cases = 0;
        for (int at = 0; at < good.length; at += Math.max(1, good.length / 40)) {
            // A crash tears the end off; outside damage changes a byte anywhere.
            for (byte[] damaged : List.of(Arrays.copyOf(good, at), flipped(good, at))) {
                Files.write(state, damaged);
                opensAsAndHeals(dir, id, reference, reference.size(), "state cut or flipped at byte " + at);
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(50);
    }

    @Test
    void shortOrMissingAreaFilesAreRebuiltFromTheLog() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        State reference = fullReplay(dir, id);
        Path rows = file(dir, id, ".index-rows");
        List<Path> tables = indexFiles(dir, id).stream().filter(f -> f.toString().contains(".index-table-")).toList();
        assertThat(tables).hasSize(1);
        long rowBytes = Files.size(rows);
        assertThat(rowBytes).isGreaterThanOrEqualTo(48L * reference.size());
        try (var f = new java.io.RandomAccessFile(rows.toFile(), "rw")) {
            f.setLength(48L * reference.size() - 1);
        }
        opensAsAndHeals(dir, id, reference, reference.size(), "rows cut short");
        try (var f = new java.io.RandomAccessFile(tables.get(0).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        opensAsAndHeals(dir, id, reference, reference.size(), "table cut short");
        Files.delete(file(dir, id, ".index-rows"));
        opensAsAndHeals(dir, id, reference, reference.size(), "rows deleted");
    }

    @Test
    void damageInsideTheMappedFilesIsAnErrorWhereItIsRead() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        State reference = fullReplay(dir, id);
        Path rows = file(dir, id, ".index-rows");
        byte[] good = Files.readAllBytes(rows);
        // The id prefix of command 5 no longer matches the log: found when its body is read.
        ByteBuffer damaged = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        damaged.putLong(5 * 48, damaged.getLong(5 * 48) ^ 1);
        Files.write(rows, damaged.array());
        try (Graph g = open(dir, id, new AtomicInteger())) {
            assertThatThrownBy(g::weave).isInstanceOf(UncheckedIOException.class).hasMessageContaining("disagree at locator");
        }
        // A parent that points forward (a cycle) ends a walk with an error, not an endless loop.
        damaged = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        damaged.putInt(7 * 48 + 16, 40);
        Files.write(rows, damaged.array());
        try (Graph g = open(dir, id, new AtomicInteger())) {
            assertThatThrownBy(g::weave).isInstanceOf(UncheckedIOException.class).hasMessageContaining("command 7 has parent 40");
        }
        Files.write(rows, good);
        opensAsAndHeals(dir, id, reference, 0, "rows restored");
    }

    @Test
    void aCheckpointMadeForAnotherLogOrPolicyIsNotTrusted() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        GraphId idA = build(a, founder, DeviceKey.generate());
        GraphId idB = build(b, founder, DeviceKey.generate());
        State referenceB = fullReplay(b, idB);
        for (Path f : indexFiles(a, idA)) {
            Files.copy(f, b.resolve(f.getFileName().toString().replace(idA.toHex(), idB.toHex())), StandardCopyOption.REPLACE_EXISTING);
        }
        opensAsAndHeals(b, idB, referenceB, referenceB.size(), "checkpoint of another log");

        AtomicInteger replayed = new AtomicInteger();
        try (Graph g = open(b, idB, replayed, new OtherPolicy())) {
            assertThat(State.of(g)).isEqualTo(referenceB);
            assertThat(replayed).as("a checkpoint of another policy is rebuilt").hasValue(referenceB.size());
        }
        opensAsAndHeals(b, idB, referenceB, referenceB.size(), "checkpoint of the other policy");
    }

    @Test
    void aCheckpointBeyondTheLogIsNotTrusted() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        Path log = file(dir, id, ".graph");
        byte[] bytes = Files.readAllBytes(log);
        // Cut the log after its third record, as 'repair' would keep the records before damage.
        int end = 8;
        for (int r = 0; r < 3; r++) {
            end += 8 + ByteBuffer.wrap(bytes, end, 4).getInt();
        }
        Files.write(log, Arrays.copyOf(bytes, end));
        State reference = fullReplay(dir, id);
        assertThat(reference.size()).isEqualTo(3);
        opensAsAndHeals(dir, id, reference, reference.size(), "log cut below the checkpoint");
    }

    @Test
    void anIndexOfTheEarlierFormatIsReplacedByANewCheckpoint() throws Exception {
        GraphId id = build(dir, DeviceKey.generate(), DeviceKey.generate());
        State reference = fullReplay(dir, id);
        for (Path f : indexFiles(dir, id)) {
            Files.delete(f);
        }
        Path old = file(dir, id, ".index");
        Files.write(old, "ARSYNCI1\0\0\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        opensAsAndHeals(dir, id, reference, reference.size(), "upgrade from ARSYNCI1");
        assertThat(old).doesNotExist();
        assertThat(state(dir, id)).exists();
    }

    /** The checkpoint and the log's length before some appends, and the graph's state after them. */
    private record Before(byte[] state, long logLength, State after) {}

    /**
     * Reopens the graph, appends, closes. Returns the checkpoint of before the appends as the
     * first of them left it on disk (marked not clean: the table goes on), and the log's length then.
     */
    private Before appendAfterACheckpoint(GraphId id, DeviceKey founder, int appends) throws Exception {
        byte[] early = notClean(Files.readAllBytes(state(dir, id)));
        long logLength = Files.size(file(dir, id, ".graph"));
        try (Graph g = open(dir, id, new AtomicInteger())) {
            for (int i = 0; i < appends; i++) {
                g.append(founder, Priority.basic(1), "later", Bytes.of(new byte[] {(byte) i}));
            }
            return new Before(early, logLength, State.of(g));
        }
    }

    /** The checkpoint with its clean flag (the first byte of its body) cleared and its checksum made again. */
    private static byte[] notClean(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state.clone());
        int tagLength = b.getInt(8);
        b.put(8 + 4 + tagLength + 8 + 8 + 4, (byte) 0);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b.array(), 0, state.length - 4);
        return b.putInt(state.length - 4, (int) crc.getValue()).array();
    }

    @Test
    void aTailAfterTheCheckpointIsReplayed() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        Before before = appendAfterACheckpoint(id, founder, 7);
        Files.write(state(dir, id), before.state()); // a crash before the close saved a new one
        opensAsAndHeals(dir, id, before.after(), -1, "tail after an early checkpoint");
        assertThat(fullReplay(dir, id)).isEqualTo(before.after());
    }

    @Test
    void tableNumbersFromAfterTheCheckpointAreCleared() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        State early = fullReplay(dir, id);
        Before before = appendAfterACheckpoint(id, founder, 7);
        List<CommandId> lost = before.after().weave().subList(early.size(), before.after().weave().size());
        // The table holds the numbers of commands the log no longer has (as of a batch that was
        // being checked, or not yet durable, when the process died): they must not be found.
        Files.write(state(dir, id), before.state());
        try (var log = new java.io.RandomAccessFile(file(dir, id, ".graph").toFile(), "rw")) {
            log.setLength(before.logLength());
        }
        State after;
        try (Graph g = open(dir, id, new AtomicInteger())) {
            assertThat(State.of(g)).isEqualTo(early);
            for (CommandId c : lost) {
                assertThat(g.contains(c)).as("lost command %s", c).isFalse();
            }
            for (int i = 0; i < 3; i++) {
                g.append(founder, Priority.basic(3), "instead", Bytes.of(new byte[] {(byte) i}));
            }
            for (CommandId c : lost) {
                assertThat(g.contains(c)).as("lost command %s", c).isFalse();
            }
            after = State.of(g);
        }
        assertThat(fullReplay(dir, id)).isEqualTo(after);
    }

    @Test
    void rowsThatDoNotHoldTogetherUnderATailAreRebuilt() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        Before before = appendAfterACheckpoint(id, founder, 1);
        Files.write(state(dir, id), before.state());
        // Every jump pointer points above its command: the replay of the tail reads one and
        // finds the rows damaged, so the whole index is rebuilt instead.
        Path rows = file(dir, id, ".index-rows");
        ByteBuffer damaged = ByteBuffer.wrap(Files.readAllBytes(rows)).order(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < before.after().size(); n++) {
            damaged.putInt(n * 48 + 36, n + 1);
        }
        Files.write(rows, damaged.array());
        opensAsAndHeals(dir, id, before.after(), -1, "damaged rows under a tail"); // the tail, then everything
    }

    /**
     * Damage after the part of the log the checkpoint covers is in the tail the open replays:
     * refused at open, naming file and offset, with nothing changed.
     */
    @Test
    void damageAfterTheCheckpointIsRefusedAtOpen() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        GraphId id = build(dir, founder, DeviceKey.generate());
        Path log = file(dir, id, ".graph");
        Before before = appendAfterACheckpoint(id, founder, 3);
        Files.write(state(dir, id), before.state()); // as if the process died before its close saved a new checkpoint
        long covered = before.logLength();
        byte[] bytes = Files.readAllBytes(log);
        int at = (int) covered + 20; // in the first batch after the checkpoint's coverage
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
     * Damage inside the part the checkpoint covers: the graph opens (that part is not read),
     * and the background check finds it, logs one SEVERE line naming file, offset and repair,
     * and makes every later append fail with that cause, truncating nothing. Repair then
     * keeps the batches before the damage and the graph opens with them.
     */
    @Test
    void damageTheCheckpointCoversIsFoundInTheBackground() throws Exception {
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

    /** The same rules under another name: a checkpoint's tag names the policy class. */
    private static final class OtherPolicy implements Policy {
        @Override
        public List<KeyId> grantedKeys(Command command, SignedContent content) {
            return POLICY.grantedKeys(command, content);
        }

        @Override
        public void authorize(Command command, SignedContent content, PolicyContext context) throws SyncException {
            POLICY.authorize(command, content, context);
        }
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
