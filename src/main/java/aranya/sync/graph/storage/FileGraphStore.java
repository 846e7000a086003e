package aranya.sync.graph.storage;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.IndexFiles;
import aranya.sync.graph.StoredBatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * One graph as an append-only log file: an 8-byte header {@code ARSYNCG1}, then one record
 * per batch, {@code u32 body length | u32 CRC-32C of body | body} (body: {@link CommandRecords}),
 * written at the end of the file and fsync'd before {@link #append} returns. The file is
 * locked while open, so two nodes cannot share it.
 *
 * <p><b>Torn tail or damage.</b> A record is <i>intact</i> when its length is possible
 * (4 bytes to {@link #MAX_RECORD}), its body lies inside the file, the start of its body
 * is shaped like a batch ({@link CommandRecords#plausibleStart}) and its checksum matches.
 * Opening walks the intact records from the header; at the first record that is not intact
 * (at byte offset P of a log of S bytes):
 * <ul>
 *   <li>if no intact record starts anywhere after P and S − P is at most one record
 *       ({@code 8 + MAX_RECORD} bytes), the bad record runs to the end of the file: it is the
 *       one batch whose append a crash interrupted, and nothing after it was ever
 *       acknowledged. The log is cut at P, as a crash mid-append requires. A crash leaves the
 *       last record short, or full length with bytes that never reached the disk, its length
 *       field included; so a record that reaches the end of the file but fails its
 *       checksum, even if its append had returned, cannot be told from a torn write and
 *       is dropped too. The dropped bytes are first copied to {@code <log>.torn-at-P}, so
 *       even then no byte is destroyed;</li>
 *   <li>otherwise bytes that were acknowledged follow the damage, which a crash cannot
 *       cause: the log is refused with a {@link CorruptLogException} naming the file and P,
 *       and left unchanged. {@link #repair} keeps the records before P and moves the bytes
 *       from P on aside into {@code <log>.damaged-at-P}.</li>
 * </ul>
 * The length field is not trusted to say where a bad record ends (a flipped bit in it must
 * not make the rest of the file look like a torn tail), hence the search for any intact
 * record after P. The checksum makes a false match there a 2^-32 chance, and a false match
 * only refuses the log; it never drops data.
 *
 * <p><b>What is checked when.</b> Opening checks only the file header, so that it costs
 * nothing per record. The first {@link #replay} (the graph calls it once, right after
 * loading the index checkpoint from {@link #indexFiles}, from the position the checkpoint
 * covers, or 0 without one) checks every record from there to the end of the file by the
 * rules above, and only then knows where the log ends: {@link #append} is refused until it
 * has run (a new, empty log needs no replay). The part before that position needs no
 * torn-tail rule: a checkpoint only ever covers batches whose append had returned, i.e. were
 * fsync'd (the graph saves a checkpoint after the append), so no crash can have torn a record
 * there, and a bad record there is damage whatever follows it. That part is checked after
 * the replay by a background thread of the store, with the same record check, reading
 * through a {@link RandomAccessFile} of its own (see {@link #reader} for why not the
 * channel); {@link #close} stops it and waits for it before the file lock is released. When
 * it finds damage it logs one SEVERE line naming the file, the offset and what is wrong, and
 * from then on {@link #append} throws a {@link CorruptLogException} with that message: nothing
 * more is written after the damage, and reads go on where the log is intact. The log is left
 * unchanged; {@link #repair} (which checks the whole log, as the command line's
 * {@code repair} does) is the fix.
 */
final class FileGraphStore implements GraphStore {
    private static final System.Logger LOG = System.getLogger(FileGraphStore.class.getName());
    private static final byte[] MAGIC = {'A', 'R', 'S', 'Y', 'N', 'C', 'G', '1'};
    private static final int RECORD_HEADER = 8;
    /** No batch we write comes near this; a larger length can only be a torn or corrupt header. */
    static final int MAX_RECORD = 1 << 30;
    /** The window the record checks read through: a scan of every offset reads the file once. */
    private static final int WINDOW = 1 << 18;

    private final GraphId graph;
    private final Path path;
    private final FileChannel channel;
    private final FileLock fileLock;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * After open, batches are written and commands read through these, not the channel: an
     * interrupt aborts a {@link FileChannel}'s I/O by closing the channel (and its lock) for
     * every user, and sessions and commits run on threads that cancellation interrupts.
     * {@link RandomAccessFile}'s own I/O is not interruptible.
     */
    private final RandomAccessFile reader;
    private final RandomAccessFile writer;
    private final MappedIndexFiles indexFiles;
    /**
     * The end of the last intact record: written under the lock, read by {@link #read} without
     * it. Until the first {@link #replay} has checked the tail it is the file's length.
     */
    private volatile long end;
    /** Whether the log's end is known: a new log, or the first replay has checked the tail. Guarded by {@link #lock}. */
    private boolean tailChecked;
    /**
     * Where the first replay's check began: records before it are checked in the background,
     * and again by any later replay that reads them (a graph rebuilding its index). Guarded by {@link #lock}.
     */
    private long tailFrom;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** What the background check of the part before the replayed tail found; see the class comment. */
    private final CompletableFuture<Optional<CorruptLogException>> coveredCheck = new CompletableFuture<>();
    /** Set when the background check found damage: appends are refused with its message. */
    private volatile CorruptLogException damage;
    /** Tells the background check to stop (at its next window). */
    private volatile boolean stopping;
    /** The background check's thread, null if none was started. Guarded by {@link #lock}. */
    private Thread checker;

    /**
     * Opens and locks the log, creating it if needed, and checks its header; its records are
     * checked by the first {@link #replay} and in the background (see the class comment).
     *
     * @throws CorruptLogException if the file is not a graph log of this format
     */
    FileGraphStore(GraphId graph, Path path) throws IOException {
        this(graph, path, true);
    }

    private FileGraphStore(GraphId graph, Path path, boolean open) throws IOException {
        this.graph = graph;
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            this.fileLock = channel.tryLock();
            if (fileLock == null) {
                throw new IOException(path + " is in use by another process");
            }
            if (open) {
                this.end = checkHeader();
            }
            this.reader = new RandomAccessFile(path.toFile(), "r");
            try {
                this.writer = new RandomAccessFile(path.toFile(), "rw");
            } catch (IOException e) {
                reader.close();
                throw e;
            }
            this.indexFiles = new MappedIndexFiles(path, new MappedIndexFiles.Log() {
                @Override
                public long size() throws IOException {
                    return reader.length();
                }

                @Override
                public long tail(long position) throws IOException {
                    return logTail(position);
                }
            });
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new IOException(path + " is already open in this process", e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Keeps the intact records before the first bad one and moves everything from there to the
     * end into {@code <log>.damaged-at-P} (nothing is deleted); leaves an intact log alone.
     * Takes the log's lock, so it fails while a node has the log open.
     */
    static FileStorageProvider.Repair repair(GraphId graph, Path path) throws IOException {
        try (FileGraphStore store = new FileGraphStore(graph, path, false)) {
            Scan scan = new LogReader(store.channel::read, path, () -> false).scan(0, store.channel.size());
            if (scan.damage().isEmpty()) {
                return new FileStorageProvider.Repair(graph, path, scan.batches(), scan.intactEnd(), Optional.empty(), 0, "intact");
            }
            Damage damage = scan.damage().get();
            long moved = store.channel.size() - damage.offset();
            Path aside = store.moveAside(damage.offset(), "damaged");
            return new FileStorageProvider.Repair(graph, path, scan.batches(), damage.offset(), Optional.of(aside), moved, damage.describe());
        }
    }

    /** The first record that is not intact, and whether the rest of the file is only that record. */
    private record Damage(long offset, String problem, OptionalLong nextIntact, long size) {
        boolean torn() {
            return nextIntact.isEmpty() && size - offset <= RECORD_HEADER + (long) MAX_RECORD;
        }

        String describe() {
            if (offset == 0) {
                return "the file does not start with the log header " + new String(MAGIC, StandardCharsets.US_ASCII);
            }
            return "the record at byte " + offset + " " + problem + (nextIntact.isPresent()
                    ? " and an intact record follows at byte " + nextIntact.getAsLong()
                    : torn() ? ", and nothing intact follows it (a torn write)"
                    : ", and " + (size - offset) + " bytes follow it, more than one record");
        }
    }

    /** The intact records from the header on, and the damage after them, if any. */
    private record Scan(int batches, long intactEnd, Optional<Damage> damage) {}

    /**
     * Checks the file header, or writes it into a new file, and returns the file's length. A
     * new (or empty) log has no tail to check.
     */
    private long checkHeader() throws IOException {
        long size = channel.size();
        if (size < MAGIC.length && isMagicPrefix(size)) {
            // New file, or a crash while it was being created: start it afresh.
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(MAGIC), 0);
            channel.force(true);
            tailChecked = true;
            coveredCheck.complete(Optional.empty());
            return MAGIC.length;
        }
        byte[] head = new byte[(int) Math.min(size, MAGIC.length)];
        readFully(ByteBuffer.wrap(head), 0);
        if (Arrays.equals(head, MAGIC)) {
            return size;
        }
        if (head.length == MAGIC.length && Arrays.equals(head, 0, MAGIC.length - 1, MAGIC, 0, MAGIC.length - 1)
                && head[MAGIC.length - 1] >= '2' && head[MAGIC.length - 1] <= '9') {
            throw new CorruptLogException(path, 0, path + " is not an aranya-sync graph log of format version '"
                    + (char) MAGIC[MAGIC.length - 1] + "', the only one this version reads: its header says version '"
                    + (char) head[MAGIC.length - 1] + "' (open it with the aranya-sync that wrote it); nothing was changed");
        }
        throw new CorruptLogException(path, 0, path + " is not an aranya-sync graph log: "
                + new Damage(0, "", OptionalLong.empty(), size).describe() + "; nothing was changed");
    }

    /**
     * Checks every record from from to the end of the file; cuts a torn tail (kept aside),
     * refuses damage; sets the log's end and starts the background check of the part before
     * from. Called under the lock, once.
     */
    private void checkTail(long from) throws IOException {
        long size = channel.size();
        if (from > size) {
            throw new IOException(path + ": cannot replay from byte " + from + ", the log has only " + size + " bytes");
        }
        Scan scan = new LogReader(channel::read, path, () -> false).scan(from, size);
        if (scan.damage().isEmpty()) {
            end = scan.intactEnd();
        } else {
            Damage bad = scan.damage().get();
            if (!bad.torn()) {
                throw new CorruptLogException(path, bad.offset(), path + " is damaged: " + bad.describe()
                        + ". Acknowledged data follows the damage, so this is no torn write and nothing was changed; "
                        + "'aranya-sync repair' keeps every batch before byte " + bad.offset() + " and moves the rest aside");
            }
            Path aside = moveAside(bad.offset(), "torn");
            LOG.log(Level.WARNING, "{0}: dropped the {1} bytes from byte {2} on, a batch whose write did not complete ({3}); they are kept in {4}",
                    path, size - bad.offset(), bad.offset(), bad.problem(), aside);
            end = bad.offset();
        }
        tailChecked = true;
        tailFrom = from;
        if (from > MAGIC.length) {
            long limit = end;
            checker = Thread.ofPlatform().daemon().name("log check " + path.getFileName()).priority(Thread.MIN_PRIORITY)
                    .start(() -> checkCovered(from, limit));
        } else {
            coveredCheck.complete(Optional.empty());
        }
    }

    /**
     * The background check: every record from the header up to covered, which must end
     * exactly there. Runs on {@link #checker}; reads through a file of its own.
     */
    private void checkCovered(long covered, long size) {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
            LogReader log = new LogReader((dst, position) -> {
                file.seek(position);
                int n = file.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }, path, () -> stopping);
            Walk walk = log.walk(MAGIC.length, covered, size);
            String problem = walk.problem() != null ? walk.problem()
                    : walk.end() != covered ? "runs past byte " + covered + ", where the index checkpoint says a batch ends" : null;
            if (problem == null) {
                coveredCheck.complete(Optional.empty());
                return;
            }
            long offset = walk.problem() != null ? walk.end() : walk.lastStart();
            CorruptLogException found = acknowledgedDamage(offset, problem, covered);
            damage = found;
            LOG.log(Level.ERROR, found.getMessage());
            coveredCheck.complete(Optional.of(found));
        } catch (CancellationException e) {
            coveredCheck.completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, path + ": could not check the log before byte " + covered + " (" + e.getMessage()
                    + "); 'aranya-sync repair' checks the whole log", e);
            coveredCheck.completeExceptionally(e);
        }
    }

    /** Damage at offset, before covered, up to which every batch had been acknowledged: never a torn write. */
    private CorruptLogException acknowledgedDamage(long offset, String problem, long covered) {
        return new CorruptLogException(path, offset, path + " is damaged: the record at byte " + offset + " "
                + problem + ". It lies before byte " + covered + ", up to which every batch had been acknowledged (the index"
                + " checkpoint covers them), so this is no torn write; nothing was changed, and nothing more is written to this log."
                + " Stop the node and run 'aranya-sync repair', which keeps every batch before byte " + offset
                + " and moves the rest aside");
    }

    /**
     * Completes when the background check of the part of the log before the replayed tail
     * has ended: with the damage it found, empty if that part is intact (or there was none);
     * exceptionally if it was stopped by {@link #close} or could not read the log. For tests.
     */
    CompletableFuture<Optional<CorruptLogException>> coveredCheck() {
        return coveredCheck;
    }

    private boolean isMagicPrefix(long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) size);
        readFully(head, 0);
        return Arrays.equals(head.array(), Arrays.copyOf(MAGIC, (int) size));
    }

    /** Reads bytes of the log at a position into dst, as {@link FileChannel#read(ByteBuffer, long)} does. */
    @FunctionalInterface
    private interface PositionalRead {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /** How far a walk over intact records got: to end, where problem (null if none) stops it; lastStart is the last record's start. */
    private record Walk(int batches, long end, long lastStart, String problem) {}

    /**
     * Reads a log for {@link #scan} and {@link #walk}, through a window of {@link #WINDOW}
     * bytes so that checking every offset reads the file once; lives only while the log is
     * checked. It throws a {@link CancellationException} once stop says so, checked at each
     * window it reads.
     */
    private static final class LogReader {
        private final PositionalRead file;
        private final Path path;
        private final BooleanSupplier stop;
        private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
        private long windowStart = -1;

        LogReader(PositionalRead file, Path path, BooleanSupplier stop) {
            this.file = file;
            this.path = path;
            this.stop = stop;
        }

        /**
         * The intact records from position from on (from the header, which it checks too,
         * when from is 0) in a log of size bytes, and the first bad record after them, if any.
         */
        Scan scan(long from, long size) throws IOException {
            if (from < MAGIC.length && (size < MAGIC.length || !Arrays.equals(bytesAt(0, MAGIC.length), MAGIC))) {
                return new Scan(0, 0, Optional.of(new Damage(0, "", OptionalLong.empty(), size)));
            }
            Walk walk = walk(Math.max(from, MAGIC.length), size, size);
            if (walk.problem() == null) {
                return new Scan(walk.batches(), walk.end(), Optional.empty());
            }
            long bad = walk.end();
            return new Scan(walk.batches(), bad, Optional.of(new Damage(bad, walk.problem(), nextIntact(bad, size), size)));
        }

        /** Walks the intact records from position from until one reaches limit or is not intact, in a log of size bytes. */
        Walk walk(long from, long limit, long size) throws IOException {
            long pos = from;
            long last = from;
            int batches = 0;
            while (pos < limit) {
                String problem = problemAt(pos, size);
                if (problem != null) {
                    return new Walk(batches, pos, last, problem);
                }
                last = pos;
                pos += RECORD_HEADER + (long) intAt(pos);
                batches++;
            }
            return new Walk(batches, pos, last, null);
        }

        /** The first offset after bad at which an intact record starts; not searched when more than a record follows. */
        private OptionalLong nextIntact(long bad, long size) throws IOException {
            if (size - bad > RECORD_HEADER + (long) MAX_RECORD) {
                return OptionalLong.empty();
            }
            for (long q = bad + 1; q + RECORD_HEADER + CommandRecords.MIN_BODY <= size; q++) {
                if (problemAt(q, size) == null) {
                    return OptionalLong.of(q);
                }
            }
            return OptionalLong.empty();
        }

        /** Why the record at pos is not intact, or null if it is. */
        private String problemAt(long pos, long size) throws IOException {
            if (size - pos < RECORD_HEADER) {
                return "is cut short: " + (size - pos) + " bytes of an " + RECORD_HEADER + "-byte record header";
            }
            int length = intAt(pos);
            if (length < CommandRecords.MIN_BODY || length > MAX_RECORD) {
                return "claims an impossible length of " + Integer.toUnsignedString(length) + " bytes";
            }
            long body = pos + RECORD_HEADER;
            if (body + length > size) {
                return "is cut short: " + length + " bytes claimed, " + (size - body) + " in the file";
            }
            int head = Math.min(length, CommandRecords.PLAUSIBLE_PREFIX);
            fill(body, head);
            if (!CommandRecords.plausibleStart(window.slice((int) (body - windowStart), head), length)) {
                return "does not hold a batch";
            }
            int stored = intAt(pos + 4);
            CRC32C crc = new CRC32C();
            for (long at = body; at < body + length; ) {
                int n = (int) Math.min(WINDOW, body + length - at);
                fill(at, n);
                crc.update(window.array(), (int) (at - windowStart), n);
                at += n;
            }
            return (int) crc.getValue() == stored ? null : "fails its checksum";
        }

        private int intAt(long pos) throws IOException {
            fill(pos, 4);
            return window.getInt((int) (pos - windowStart));
        }

        private byte[] bytesAt(long pos, int n) throws IOException {
            fill(pos, n);
            int from = (int) (pos - windowStart);
            return Arrays.copyOfRange(window.array(), from, from + n);
        }

        /** Makes bytes [pos, pos + n) of the file available in the window; n is at most WINDOW. */
        private void fill(long pos, int n) throws IOException {
            if (windowStart >= 0 && pos >= windowStart && pos + n <= windowStart + window.limit()) {
                return;
            }
            if (stop.getAsBoolean()) {
                throw new CancellationException(path + ": the check was stopped at byte " + pos);
            }
            window.clear();
            windowStart = pos;
            long at = pos;
            while (window.hasRemaining()) {
                int read = file.read(window, at);
                if (read < 0) {
                    break;
                }
                at += read;
            }
            window.flip();
            if (window.limit() < n) {
                windowStart = -1;
                throw new IOException(path + " ended at " + at + " while reading a record");
            }
        }
    }

    /**
     * Copies the bytes from offset from to the end into a new file beside the log, makes it
     * durable, then cuts the log at from. Returns the new file.
     */
    private Path moveAside(long from, String why) throws IOException {
        long size = channel.size();
        Path aside = null;
        FileChannel out = null;
        for (int i = 0; out == null; i++) {
            aside = path.resolveSibling(path.getFileName() + "." + why + "-at-" + from + (i == 0 ? "" : "." + i));
            try {
                out = FileChannel.open(aside, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (i == 1000) {
                    throw e;
                }
            }
        }
        try (FileChannel copy = out) {
            for (long at = from; at < size; ) {
                at += channel.transferTo(at, size - at, copy);
            }
            copy.force(true);
        }
        try (FileChannel dir = FileChannel.open(path.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
        channel.truncate(from);
        channel.force(true);
        return aside;
    }

    @Override
    public GraphId graphId() {
        return graph;
    }

    /** The first call checks the log from from on and starts the background check of the part before it; see the class comment. */
    @Override
    public long replay(long from, ReplaySink sink) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new IOException(path + " is closed");
            }
            if (!tailChecked) {
                checkTail(Math.max(from, MAGIC.length));
            }
            long pos = Math.max(from, MAGIC.length);
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            while (pos < end) {
                header.clear();
                readFully(header, pos);
                int length = header.getInt(0);
                if (pos < tailFrom && (length < CommandRecords.MIN_BODY || length > end - pos - RECORD_HEADER)) {
                    throw acknowledgedDamage(pos, "claims an impossible length of " + Integer.toUnsignedString(length) + " bytes", tailFrom);
                }
                ByteBuffer body = ByteBuffer.allocate(length);
                readFully(body, pos + RECORD_HEADER);
                body.flip();
                if (pos < tailFrom && crc(body.array()) != header.getInt(4)) {
                    // Only the tail was checked at open; the rest may still be under its background check.
                    throw acknowledgedDamage(pos, "fails its checksum", tailFrom);
                }
                long bodyStart = pos + RECORD_HEADER;
                long batchEnd = bodyStart + body.capacity();
                try {
                    CommandRecords.decodeWithOffsets(body, (command, offset) -> sink.accept(command, bodyStart + offset, batchEnd));
                } catch (IOException e) {
                    throw new IOException(path + ": the record at byte " + pos + " has a valid checksum but " + e.getMessage(), e);
                }
                pos = batchEnd;
            }
            return end;
        } finally {
            lock.unlock();
        }
    }

    /** Enough for most commands in one read; a larger one is read again at its full length. */
    private static final int FIRST_READ = 1024;
    /** No command is longer: its fixed fields, two parents and the most content a command may carry. */
    private static final int LONGEST_COMMAND = 32 + 5 + 1 + 2 * 40 + 8 + Command.MAX_CONTENT_BYTES;

    /** Reads through {@link #reader}; see there why not the channel. */
    @Override
    public Command read(long locator) throws IOException {
        long limit = end;
        if (locator < MAGIC.length || locator >= limit) {
            throw new IOException(path + ": no command at byte " + locator + " (the log ends at " + limit + ")");
        }
        int want = (int) Math.min(FIRST_READ, limit - locator);
        while (true) {
            byte[] bytes = new byte[want];
            readAt(locator, bytes);
            try {
                return CommandRecords.decodeOne(ByteBuffer.wrap(bytes));
            } catch (IOException | java.nio.BufferUnderflowException e) {
                int longest = (int) Math.min(LONGEST_COMMAND, limit - locator);
                if (want >= longest) {
                    throw new IOException(path + ": the command at byte " + locator + " does not decode", e);
                }
                want = longest;
            }
        }
    }

    @Override
    public StoredBatch append(List<Command> batch) throws IOException {
        int[] offsets = new int[batch.size()];
        byte[] body = CommandRecords.encode(batch, offsets);
        if (body.length > MAX_RECORD) {
            throw new IOException("a batch of " + body.length + " bytes is larger than a log record may be (" + MAX_RECORD + ")");
        }
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + body.length);
        record.putInt(body.length).putInt(crc(body)).put(body).flip();
        lock.lock();
        try {
            requireTailChecked();
            CorruptLogException found = damage;
            if (found != null) {
                throw new CorruptLogException(found.file(), found.offset(), found.getMessage());
            }
            long start = end;
            try {
                writer.seek(start);
                writer.write(record.array(), 0, record.limit());
                writer.getFD().sync();
                end = start + record.limit();
            } catch (IOException e) {
                try {
                    writer.setLength(start); // leave no partial record for the next append to follow
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            long[] locators = new long[offsets.length];
            for (int i = 0; i < offsets.length; i++) {
                locators[i] = start + RECORD_HEADER + offsets[i];
            }
            return new StoredBatch(locators, end);
        } finally {
            lock.unlock();
        }
    }

    /** The files beside the log: see {@link MappedIndexFiles}. */
    @Override
    public Optional<IndexFiles> indexFiles() {
        return Optional.of(indexFiles);
    }

    /** Called under the lock: the log's end is known only once the first replay has checked the tail. */
    private void requireTailChecked() {
        if (!tailChecked) {
            throw new IllegalStateException(path + ": replay the log before writing to it (the first replay checks its tail and finds its end)");
        }
    }

    /** The 8 bytes of the log before position: what an index checkpoint is checked against. */
    private long logTail(long position) throws IOException {
        byte[] tail = new byte[8];
        readAt(position - 8, tail);
        return ByteBuffer.wrap(tail).getLong();
    }

    private void readAt(long position, byte[] bytes) throws IOException {
        synchronized (reader) {
            reader.seek(position);
            reader.readFully(bytes);
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                stopChecker();
                try (channel; reader; writer) {
                    if (fileLock.isValid()) {
                        fileLock.release();
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops the background check, if one runs, and waits until its thread has ended (and closed its file). */
    private void stopChecker() {
        stopping = true;
        if (checker == null) {
            coveredCheck.cancel(false); // never started (no replay): nothing is left to wait for
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                checker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the file lock must not be released while the thread still reads the log
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void readFully(ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new IOException(path + " ended at " + pos + " while reading a record");
            }
            pos += n;
        }
    }

    private static int crc(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return (int) crc.getValue();
    }
}
