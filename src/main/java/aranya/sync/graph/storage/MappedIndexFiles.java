package aranya.sync.graph.storage;

import aranya.sync.graph.IndexFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The index files beside a graph log {@code <team>.graph}: the areas {@code <team>.index-<area>}
 * that the graph maps its columns from, and the checkpoint {@code <team>.index-state}:
 * <pre>
 *   state = "ARSYNCC1" | u32 tag length | tag (UTF-8) | u64 log position | u64 log tail
 *           | u32 body length | body | u32 CRC-32C(everything before it)
 * </pre>
 * (big-endian; the last magic byte is the format version; log tail is the 8 bytes of the log
 * before log position; the body is the graph's). A checkpoint is replaced by writing
 * {@code <team>.index-state.tmp}, syncing it, renaming it over the old one and syncing the
 * directory, so a crash leaves the old one or the new one, whole. It is handed out only if
 * its checksum, version and tag match and the log, as it is on disk now, holds its position
 * and the same 8 bytes before it; otherwise the graph rebuilds the index, after one WARNING
 * saying why. A directory from before these files has {@code <team>.index} (format
 * {@code ARSYNCI1}) instead: it is not read, the index is rebuilt, and the old file is deleted
 * once the first checkpoint is saved.
 *
 * <p>Nothing here blocks on an interruptible channel with the interrupt flag set: a commit's
 * thread may be interrupted (a cancelled sync), and an interrupted {@link FileChannel} closes
 * itself. Each mapping gets a channel of its own, opened and closed around it.
 */
final class MappedIndexFiles implements IndexFiles {
    private static final System.Logger LOG = System.getLogger(MappedIndexFiles.class.getName());
    private static final byte[] MAGIC = {'A', 'R', 'S', 'Y', 'N', 'C', 'C', '1'};
    private static final Pattern AREA = Pattern.compile("[a-z0-9][a-z0-9-]*");
    /** No checkpoint we write comes near this (it holds a bit per command and two numbers per segment). */
    private static final long MAX_STATE = 1L << 30;
    private static final int LOG_HEADER = 8;

    /** What the checkpoint is checked against: the log as it is on disk. */
    interface Log {
        /** {@return the log file's length in bytes} */
        long size() throws IOException;

        /** {@return the 8 bytes of the log before position, big-endian} */
        long tail(long position) throws IOException;
    }

    private final Path log;
    private final Log logAccess;
    private final String base;

    MappedIndexFiles(Path log, Log logAccess) {
        this.log = log;
        this.logAccess = logAccess;
        String name = log.getFileName().toString();
        this.base = name.endsWith(".graph") ? name.substring(0, name.length() - ".graph".length()) : name;
    }

    private Path state() {
        return log.resolveSibling(base + ".index-state");
    }

    private Path oldFormat() {
        return log.resolveSibling(base + ".index");
    }

    private Path area(String area) {
        if (!AREA.matcher(area).matches() || area.equals("state")) {
            throw new IllegalArgumentException("not an index area name: " + area);
        }
        return log.resolveSibling(base + ".index-" + area);
    }

    @Override
    public synchronized Optional<Checkpoint> load(String tag) throws IOException {
        Path file = state();
        if (!Files.exists(file)) {
            if (Files.exists(oldFormat())) {
                LOG.log(Level.INFO, "{0} is an index of an earlier format; building the index anew from {1}", oldFormat(), log);
            } else if (logAccess.size() > LOG_HEADER) {
                LOG.log(Level.WARNING, "{0} has no index checkpoint {1}; rebuilding the index from the whole log", log, file);
            }
            return Optional.empty();
        }
        try {
            return Optional.of(check(file, tag));
        } catch (Distrusted e) {
            LOG.log(Level.WARNING, "{0}: {1}; rebuilding the index from {2}", file, e.getMessage(), log);
            return Optional.empty();
        } catch (NoSuchFileException e) {
            LOG.log(Level.WARNING, "{0} disappeared while it was read; rebuilding the index from {1}", file, log);
            return Optional.empty();
        }
    }

    /** Why a checkpoint is not trusted. */
    private static final class Distrusted extends Exception {
        private static final long serialVersionUID = 1L;

        Distrusted(String why) {
            super(why, null, false, false);
        }
    }

    /** The checkpoint in file, if it can be trusted. */
    private Checkpoint check(Path file, String tag) throws IOException, Distrusted {
        long length = Files.size(file);
        if (length > MAX_STATE) {
            throw new Distrusted("the checkpoint is " + length + " bytes long, more than any this version writes");
        }
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < MAGIC.length + 4 + 8 + 8 + 4 + 4) {
            throw new Distrusted("the checkpoint is cut short (" + bytes.length + " bytes)");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length - 1, MAGIC, 0, MAGIC.length - 1)) {
            throw new Distrusted("the checkpoint does not start with " + new String(MAGIC, StandardCharsets.US_ASCII));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != in.getInt(bytes.length - 4)) {
            throw new Distrusted("the checkpoint fails its checksum");
        }
        if (bytes[MAGIC.length - 1] != MAGIC[MAGIC.length - 1]) {
            throw new Distrusted("the checkpoint is of format version '" + (char) bytes[MAGIC.length - 1] + "', not '" + (char) MAGIC[MAGIC.length - 1] + "'");
        }
        in.position(MAGIC.length);
        int tagLength = in.getInt();
        if (tagLength < 0 || tagLength > in.remaining() - 8 - 8 - 4 - 4) {
            throw new Distrusted("the checkpoint claims a tag of " + Integer.toUnsignedString(tagLength) + " bytes");
        }
        byte[] saved = new byte[tagLength];
        in.get(saved);
        String savedTag = new String(saved, StandardCharsets.UTF_8);
        if (!savedTag.equals(tag)) {
            throw new Distrusted("the checkpoint was saved for index format and policy '" + savedTag + "', not '" + tag + "'");
        }
        long position = in.getLong();
        long tail = in.getLong();
        int bodyLength = in.getInt();
        if (bodyLength != in.remaining() - 4) {
            throw new Distrusted("the checkpoint claims a body of " + Integer.toUnsignedString(bodyLength) + " bytes, it holds " + (in.remaining() - 4));
        }
        long logSize = logAccess.size();
        if (position < LOG_HEADER + 8 || position > logSize) {
            throw new Distrusted("the checkpoint covers the log up to byte " + position + ", which the log (" + logSize + " bytes) does not hold");
        }
        if (logAccess.tail(position) != tail) {
            throw new Distrusted("the checkpoint does not match " + log + " (it was saved for another log, or the log changed below byte " + position + ")");
        }
        return new Checkpoint(position, in.slice(in.position(), bodyLength), logSize > position);
    }

    @Override
    public synchronized void save(String tag, long position, ByteBuffer state, Set<String> keep) throws IOException {
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + t.length + 8 + 8 + 4 + state.remaining() + 4);
        out.put(MAGIC).putInt(t.length).put(t).putLong(position).putLong(logAccess.tail(position))
                .putInt(state.remaining()).put(state.duplicate());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        Path tmp = state().resolveSibling(state().getFileName() + ".tmp");
        boolean interrupted = Thread.interrupted();
        try {
            try (RandomAccessFile file = new RandomAccessFile(tmp.toFile(), "rw")) {
                file.setLength(0);
                file.write(out.array());
                file.getFD().sync();
            }
            Files.move(tmp, state(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        // What the new checkpoint no longer names: tables it replaced, and an index of the old format.
        Files.deleteIfExists(oldFormat());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(log.toAbsolutePath().getParent(), base + ".index-*")) {
            String prefix = base + ".index-";
            for (Path f : files) {
                String name = f.getFileName().toString().substring(prefix.length());
                if (AREA.matcher(name).matches() && !name.equals("state") && !keep.contains(name)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @Override
    public synchronized void discard() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            if (Files.deleteIfExists(state())) {
                syncDirectory();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized long size(String area) throws IOException {
        try {
            return Files.size(area(area));
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    @Override
    public synchronized ByteBuffer map(String area, long offset, int length) throws IOException {
        boolean interrupted = Thread.interrupted();
        try (FileChannel channel = FileChannel.open(area(area), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return channel.map(FileChannel.MapMode.READ_WRITE, offset, length);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A new file, not truncation: a mapping of the old one (if any) stays valid and is never cut under a reader. */
    @Override
    public synchronized void clear(String area) throws IOException {
        Files.deleteIfExists(area(area));
    }

    private void syncDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(log.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
