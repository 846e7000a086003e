package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage to a graph log, byte by byte: a crash can only tear the last record, so the store
 * may drop only a bad record that nothing intact follows; any other damage refuses the log,
 * naming the file and the offset, until {@link FileStorageProvider#repair} moves it aside.
 */
class LogDamageTest {
    private static final GraphId GRAPH = GraphId.of(new byte[32]);
    /** As in the report that found the old behaviour: 13 acknowledged batches. */
    private static final int BATCHES = 13;
    private static final int MAGIC_LENGTH = 8;

    @TempDir
    Path dir;

    private FileStorageProvider provider;
    private Path log;
    private final List<List<Command>> batches = new ArrayList<>();
    /** starts[i] is the offset of record i; starts[BATCHES] is the end of the log. */
    private final long[] starts = new long[BATCHES + 1];
    private byte[] original;

    @BeforeEach
    void writeLog() throws IOException {
        Random rnd = new Random(17);
        provider = new FileStorageProvider(dir);
        log = dir.resolve(GRAPH.toHex() + ".graph");
        try (GraphStore store = provider.open(GRAPH)) {
            for (int i = 0; i < BATCHES; i++) {
                List<Command> batch = new ArrayList<>();
                for (int j = 0; j <= i % 2; j++) {
                    batch.add(command(rnd, i + j));
                }
                starts[i] = Files.size(log);
                store.append(batch);
                batches.add(batch);
            }
            starts[BATCHES] = Files.size(log);
        }
        original = Files.readAllBytes(log);
    }

    private static Command command(Random rnd, int i) {
        byte[] id = new byte[32];
        rnd.nextBytes(id);
        byte[] payload = new byte[rnd.nextInt(12)];
        rnd.nextBytes(payload);
        return switch (i % 3) {
            case 0 -> new Command(CommandId.of(id), Priority.INIT, Prior.NONE, Bytes.of(new byte[] {7}), Bytes.of(payload));
            case 1 -> new Command(CommandId.of(id), Priority.basic(i), new Prior.Single(new Address(CommandId.of(id), i)), Bytes.EMPTY, Bytes.of(payload));
            default -> new Command(CommandId.of(id), Priority.MERGE,
                    new Prior.Merge(new Address(CommandId.of(new byte[32]), 1), new Address(CommandId.of(id), 2)), Bytes.EMPTY, Bytes.EMPTY);
        };
    }

    private List<Command> firstBatches(int n) {
        return batches.subList(0, n).stream().flatMap(List::stream).toList();
    }

    private static List<Command> replay(GraphStore store) throws IOException {
        List<Command> out = new ArrayList<>();
        store.replay(0, (command, locator, batchEnd) -> out.add(command));
        return out;
    }

    /** The record holding byte b of the log; -1 for the file header. */
    private int recordOf(long b) {
        for (int i = BATCHES - 1; i >= 0; i--) {
            if (b >= starts[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Every file beside the log, with its content; removes them. */
    private List<Path> takeAsideFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, GRAPH.toHex() + ".graph.*")) {
            files.forEach(out::add);
        }
        return out;
    }

    /**
     * Makes the log hold bytes, which differ from what it holds at most at byte at; written in
     * place when the log has their length, because
     * rewriting the whole file (truncate, then write) makes ext4 flush it, 4 ms each time.
     */
    private void writeInPlace(byte[] bytes, int at) throws IOException {
        if (Files.size(log) != bytes.length) {
            Files.write(log, bytes);
            return;
        }
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes, at, 1), at);
        }
    }

    private static byte[] slice(byte[] bytes, long from) {
        return Arrays.copyOfRange(bytes, (int) from, bytes.length);
    }

    /**
     * Flips every byte of the 13-record log in turn, two ways, and opens it. A flip in the
     * header or in records 1..12 must refuse the log, name the file and the offset of the
     * damaged record (the header: 0), and leave every byte as it was; repair then keeps
     * exactly the records before it and moves the rest, byte for byte, aside. A flip in the
     * last record (which reaches the end of the file, so it cannot be told from a torn write)
     * must drop exactly that record, keeping its bytes aside.
     */
    @Test
    void everyFlippedByteIsRefusedOrIsTheLastRecordDroppedAside() throws IOException {
        int refused = 0;
        int refusedHeader = 0;
        int tornLast = 0;
        int repaired = 0;
        List<IntUnaryOperator> flips = List.of(b -> b ^ 0xff, b -> b + 1);
        for (IntUnaryOperator flip : flips) {
            for (int b = 0; b < original.length; b++) {
                byte[] damaged = original.clone();
                damaged[b] = (byte) flip.applyAsInt(damaged[b]);
                writeInPlace(damaged, b);
                int record = recordOf(b);
                long offset = record < 0 ? 0 : starts[record];
                String what = "flip at byte " + b + " (record " + record + ")";
                if (record == BATCHES - 1) {
                    try (GraphStore store = provider.open(GRAPH)) {
                        assertThat(replay(store)).as(what).isEqualTo(firstBatches(BATCHES - 1));
                    }
                    assertThat(Files.readAllBytes(log)).as(what).isEqualTo(Arrays.copyOf(original, (int) offset));
                    List<Path> aside = takeAsideFiles();
                    assertThat(aside).as(what).containsExactly(dir.resolve(GRAPH.toHex() + ".graph.torn-at-" + offset));
                    assertThat(Files.readAllBytes(aside.get(0))).as(what).isEqualTo(slice(damaged, offset));
                    Files.delete(aside.get(0));
                    tornLast++;
                    continue;
                }
                try (GraphStore store = provider.open(GRAPH)) {
                    fail(what + " opened the log with " + replay(store).size() + " commands");
                } catch (CorruptLogException e) {
                    assertThat(e.offset()).as(what).isEqualTo(offset);
                    assertThat(e.file()).isEqualTo(log);
                    assertThat(e.getMessage()).as(what).contains(log.toString()).contains(record < 0 ? "not an aranya-sync graph log" : "byte " + offset);
                }
                assertThat(Files.readAllBytes(log)).as(what).isEqualTo(damaged);
                assertThat(takeAsideFiles()).as(what).isEmpty();
                refused++;
                if (record < 0) {
                    refusedHeader++;
                }
                // Repairing each damaged record once per flip kind is enough: repair depends on the offset.
                if (record >= 0 && b == starts[record] + (record * 5) % (starts[record + 1] - starts[record])) {
                    FileStorageProvider.Repair repair = provider.repair(GRAPH);
                    assertThat(repair.keptBatches()).as(what).isEqualTo(record);
                    assertThat(repair.keptBytes()).isEqualTo(offset);
                    assertThat(repair.movedBytes()).isEqualTo(original.length - offset);
                    assertThat(repair.movedTo()).contains(dir.resolve(GRAPH.toHex() + ".graph.damaged-at-" + offset));
                    assertThat(Files.readAllBytes(repair.movedTo().orElseThrow())).as(what).isEqualTo(slice(damaged, offset));
                    try (GraphStore store = provider.open(GRAPH)) {
                        assertThat(replay(store)).as(what).isEqualTo(firstBatches(record));
                    }
                    Files.delete(repair.movedTo().orElseThrow());
                    repaired++;
                } else {
                    writeInPlace(original, b);
                }
            }
        }
        long lastRecord = original.length - starts[BATCHES - 1];
        System.out.printf("byte-flip test: %d-byte log of %d records, %d flips (%d bytes x %d ways): %d refused naming file and offset "
                        + "(%d of them in the file header), %d in the last record (%d bytes) dropped as torn and kept aside, "
                        + "0 opened with data lost; %d repairs checked%n",
                original.length, BATCHES, original.length * flips.size(), original.length, flips.size(),
                refused, refusedHeader, tornLast, lastRecord, repaired);
        assertThat(refused + tornLast).isEqualTo(original.length * flips.size());
        assertThat(tornLast).isEqualTo(lastRecord * flips.size());
        assertThat(refusedHeader).isEqualTo(8 * flips.size());
        assertThat(repaired).isEqualTo((BATCHES - 1) * flips.size());
    }

    /** A crash mid-append leaves any prefix of the last record: each is dropped, and the rest of the log kept. */
    @Test
    void aTornLastRecordIsDroppedWhateverItsLength() throws IOException {
        long last = starts[BATCHES - 1];
        for (int cut = 1; cut <= original.length - last; cut++) {
            byte[] torn = Arrays.copyOf(original, original.length - cut);
            Files.write(log, torn);
            try (GraphStore store = provider.open(GRAPH)) {
                assertThat(replay(store)).as("last %d bytes cut", cut).isEqualTo(firstBatches(BATCHES - 1));
                if (cut % 16 == 1) {
                    store.append(batches.get(BATCHES - 1));
                }
            }
            if (cut % 16 == 1) {
                try (GraphStore store = provider.open(GRAPH)) {
                    assertThat(replay(store)).isEqualTo(firstBatches(BATCHES));
                }
            }
            for (Path aside : takeAsideFiles()) {
                assertThat(Files.readAllBytes(aside)).isEqualTo(slice(torn, last));
                Files.delete(aside);
            }
        }
    }

    /**
     * A crash can also leave the last record full length with zeros where its bytes never
     * reached the disk, length field included; zeros elsewhere are damage.
     */
    @Test
    void zerosAreATornWriteOnlyInTheLastRecord() throws IOException {
        long last = starts[BATCHES - 1];
        byte[] zeroedTail = original.clone();
        Arrays.fill(zeroedTail, (int) last, zeroedTail.length, (byte) 0);
        Files.write(log, zeroedTail);
        try (GraphStore store = provider.open(GRAPH)) {
            assertThat(replay(store)).isEqualTo(firstBatches(BATCHES - 1));
        }
        takeAsideFiles().forEach(p -> p.toFile().delete());

        byte[] zeroedHeader = original.clone();
        Arrays.fill(zeroedHeader, (int) starts[1], (int) starts[1] + 8, (byte) 0);
        Files.write(log, zeroedHeader);
        try (GraphStore store = provider.open(GRAPH)) {
            assertThatThrownBy(() -> replay(store)).isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("byte " + starts[1])
                    .hasMessageContaining("an intact record follows at byte " + starts[2]);
            // The log's end is not known: nothing may be appended after the damage.
            assertThatThrownBy(() -> store.append(batches.get(0))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("replay");
        }
        assertThat(Files.readAllBytes(log)).isEqualTo(zeroedHeader);
    }

    /**
     * Opening reads no record; the first replay checks the log from where it starts, so until
     * then the store does not know where the log ends and refuses to append.
     */
    @Test
    void appendsWaitForTheReplayThatChecksTheTail() throws IOException {
        try (GraphStore store = provider.open(GRAPH)) {
            assertThatThrownBy(() -> store.append(batches.get(0))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(log.toString()).hasMessageContaining("replay");
            store.replay(starts[BATCHES - 1], (command, locator, batchEnd) -> {});
            store.append(batches.get(0));
        }
        try (GraphStore store = provider.open(GRAPH)) {
            List<Command> all = new ArrayList<>(firstBatches(BATCHES));
            all.addAll(batches.get(0));
            assertThat(replay(store)).isEqualTo(all);
        }
    }

    /**
     * A flipped byte in records 0..11 while the replay starts at record 12, as it does
     * when the index checkpoint covers records 0..11: the open and the replay succeed (those
     * records were acknowledged, so no torn-tail rule applies to them), and the background
     * check finds the damaged record, names file and offset, and from then on appends are
     * refused with that message, while reads of the intact records go on; a later replay
     * from the start is refused at the damaged record. The log is never changed, and repair
     * keeps the records before the damage.
     */
    @Test
    void damageBeforeTheReplayedTailIsFoundInTheBackgroundAndStopsAppends() throws Exception {
        long from = starts[BATCHES - 1];
        int found = 0;
        for (int b = MAGIC_LENGTH; b < from; b++) {
            int record = recordOf(b);
            if (b - starts[record] >= 8 && b % 3 != 0) {
                continue; // every byte of the record headers, a third of the bodies: enough, and fast
            }
            byte[] damaged = original.clone();
            damaged[b] ^= (byte) 0xff;
            writeInPlace(damaged, b);
            String what = "flip at byte " + b + " (record " + record + ")";
            try (FileGraphStore store = (FileGraphStore) provider.open(GRAPH)) {
                List<Long> locators = new ArrayList<>();
                List<Command> tail = new ArrayList<>();
                store.replay(from, (command, locator, batchEnd) -> {
                    tail.add(command);
                    locators.add(locator);
                });
                assertThat(tail).as(what).isEqualTo(batches.get(BATCHES - 1));
                CorruptLogException e = store.coveredCheck().get(30, TimeUnit.SECONDS).orElseThrow(() -> new AssertionError(what + " not found"));
                assertThat(e.offset()).as(what).isEqualTo(starts[record]);
                assertThat(e.file()).isEqualTo(log);
                assertThat(e.getMessage()).as(what).contains(log.toString(), "byte " + starts[record], "aranya-sync repair");
                assertThat(store.read(locators.get(0))).as(what).isEqualTo(tail.get(0));
                assertThatThrownBy(() -> store.append(batches.get(0))).as(what)
                        .isInstanceOfSatisfying(CorruptLogException.class, refused -> {
                            assertThat(refused.getMessage()).isEqualTo(e.getMessage());
                            assertThat(refused.offset()).isEqualTo(e.offset());
                        });
                // A later replay over that part (a graph rebuilding its index) checks each record it reads.
                assertThatThrownBy(() -> store.replay(0, (command, locator, batchEnd) -> {})).as(what)
                        .isInstanceOfSatisfying(CorruptLogException.class, again -> assertThat(again.offset()).isEqualTo(starts[record]));
            }
            assertThat(Files.readAllBytes(log)).as(what).isEqualTo(damaged);
            assertThat(takeAsideFiles()).as(what).isEmpty();
            if (b == starts[record] + 5) { // once per record
                FileStorageProvider.Repair repair = provider.repair(GRAPH);
                assertThat(repair.keptBatches()).as(what).isEqualTo(record);
                assertThat(repair.keptBytes()).isEqualTo(starts[record]);
                assertThat(Files.readAllBytes(repair.movedTo().orElseThrow())).as(what).isEqualTo(slice(damaged, starts[record]));
                Files.delete(repair.movedTo().orElseThrow());
            }
            writeInPlace(original, b);
            found++;
        }
        assertThat(found).isGreaterThan((int) (from - MAGIC_LENGTH) / 3);
    }

    /**
     * Close stops a background check that is still reading (it is asked to stop at its next
     * window) and waits for its thread, so the file lock is never released under a reader.
     */
    @Test
    void closeStopsTheBackgroundCheckAndEndsItsThread() throws Exception {
        Path big = dir.resolve("big");
        FileStorageProvider bigProvider = new FileStorageProvider(big);
        Random rnd = new Random(5);
        byte[] payload = new byte[Command.MAX_CONTENT_BYTES - 16];
        try (GraphStore store = bigProvider.open(GRAPH)) {
            List<Command> batch = new ArrayList<>();
            for (int i = 0; i < 64; i++) { // 64 commands of 200 KiB, 12.5 MiB: many windows of the check
                byte[] id = new byte[32];
                rnd.nextBytes(id);
                rnd.nextBytes(payload);
                batch.add(new Command(CommandId.of(id), Priority.INIT, Prior.NONE, Bytes.EMPTY, Bytes.of(payload)));
            }
            store.append(batch);
        }
        long end = Files.size(big.resolve(GRAPH.toHex() + ".graph"));
        String name = "log check " + GRAPH.toHex() + ".graph";
        FileGraphStore store = (FileGraphStore) bigProvider.open(GRAPH);
        store.replay(end, (command, locator, batchEnd) -> fail("nothing follows the covered part"));
        store.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(name));
        assertThat(store.coveredCheck()).isDone();
        try {
            System.out.println("background check at close: " + (store.coveredCheck().get().isEmpty() ? "had finished, intact" : "found damage"));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException stopped) {
            System.out.println("background check at close: stopped (" + stopped.getMessage() + ")");
        }
        try (FileGraphStore again = (FileGraphStore) bigProvider.open(GRAPH)) {
            again.replay(end, (command, locator, batchEnd) -> {});
            assertThat(again.coveredCheck().get(30, TimeUnit.SECONDS)).as("the whole check of the same log").isEmpty();
        }
    }

    @Test
    void repairLeavesAnIntactLogAlone() throws IOException {
        FileStorageProvider.Repair repair = provider.repair(GRAPH);
        assertThat(repair.finding()).isEqualTo("intact");
        assertThat(repair.keptBatches()).isEqualTo(BATCHES);
        assertThat(repair.movedTo()).isEmpty();
        assertThat(Files.readAllBytes(log)).isEqualTo(original);
        assertThat(takeAsideFiles()).isEmpty();
    }

    @Test
    void repairRefusesALogThatIsOpen() throws IOException {
        try (GraphStore store = provider.open(GRAPH)) {
            assertThatThrownBy(() -> provider.repair(GRAPH)).isInstanceOf(IOException.class).hasMessageContaining("already open");
            assertThat(replay(store)).hasSize(firstBatches(BATCHES).size());
        }
    }
}
