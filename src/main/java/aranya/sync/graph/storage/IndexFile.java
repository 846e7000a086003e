package aranya.sync.graph.storage;

import aranya.sync.graph.GraphStore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The saved index beside a graph log: the records the graph asks to save, each saying up to
 * which byte of the log it covers, so that opening replays only the log after the last one.
 * <pre>
 *   file   = "ARSYNCI1" | u32 tag length | tag (UTF-8) | u32 CRC-32C(tag) | record*
 *   record = u32 body length | u32 CRC-32C(log end .. body) | u64 log end | u64 log tail | body
 * </pre>
 * (big-endian; the last magic byte is the format version; log tail is the 8 bytes of the log
 * before log end). It is derived data, never trusted: a record is used only if its checksum
 * matches, its log end lies beyond the previous record's and within the log file,
 * and (for the last one) the log really ends that way there. Everything from the first
 * record that fails on is cut off and its batches are replayed from the log instead; a
 * header of another version or tag starts the file afresh. Records are written after the
 * batches they cover are fsync'd in the log, and the file itself is fsync'd only at close:
 * a crash can lose or tear its last records, which costs replay time, never data.
 * It is read and written through a {@link RandomAccessFile}, whose I/O an interrupt does not
 * abort: a commit's thread may be interrupted (a cancelled sync) and an interrupted
 * {@code FileChannel} would close itself for every later batch.
 */
final class IndexFile implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IndexFile.class.getName());
    private static final byte[] MAGIC = {'A', 'R', 'S', 'Y', 'N', 'C', 'I', '1'};
    private static final int RECORD_HEADER = 4 + 4 + 8 + 8;
    private static final int WINDOW = 1 << 20;

    private final Path path;
    private final Path log;
    private RandomAccessFile file;
    /** The tag of the header on disk, null when the file has none yet. */
    private String tag;
    /** Where the next record goes. */
    private long end;
    /** The log position the records cover up to. */
    private long covered;

    IndexFile(Path path, Path log) {
        this.path = path;
        this.log = log;
    }

    /**
     * Hands the usable records to sink and returns the log position they cover up to (0 for
     * none); cuts off what is not usable. logEnd is the length of the log file; logTail
     * reads the 8 bytes of the log before a position.
     */
    long load(String wanted, long logEnd, GraphStore.IndexSink sink, LogTail logTail) throws IOException {
        open();
        long size = file.length();
        long pos = headerLength(wanted);
        if (size < pos || !headerMatches(wanted, pos)) {
            reset(wanted);
            return 0;
        }
        tag = wanted;
        sink.expect(size - pos);
        Window window = new Window();
        long covers = 0;
        long lastTail = 0;
        String problem = null;
        while (pos < size) {
            if (size - pos < RECORD_HEADER) {
                problem = "a record header is cut short";
                break;
            }
            ByteBuffer header = window.bytes(pos, RECORD_HEADER);
            int length = header.getInt(0);
            int stored = header.getInt(4);
            long recordEnd = header.getLong(8);
            long tail = header.getLong(16);
            if (length < 0 || length > FileGraphStore.MAX_RECORD || pos + RECORD_HEADER + length > size) {
                problem = "a record claims " + Integer.toUnsignedString(length) + " bytes";
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(window.bytes(pos + 8, RECORD_HEADER - 8 + length));
            if ((int) crc.getValue() != stored) {
                problem = "a record fails its checksum";
                break;
            }
            if (recordEnd <= covers || recordEnd > logEnd) {
                problem = "a record covers the log up to byte " + recordEnd + ", which the log does not hold";
                break;
            }
            sink.accept(window.bytes(pos + RECORD_HEADER, length));
            covers = recordEnd;
            lastTail = tail;
            pos += RECORD_HEADER + length;
        }
        if (problem != null) {
            LOG.log(Level.WARNING, "{0}: {1} at byte {2}; the log from byte {3} on is replayed instead", path, problem, pos, covers);
            file.setLength(pos);
        }
        if (covers > 0 && logTail.at(covers) != lastTail) {
            throw new IOException(path + " does not match " + log + " (it was written for another log)");
        }
        end = pos;
        covered = covers;
        return covers;
    }

    /** Reads the 8 bytes of the log before a position. */
    @FunctionalInterface
    interface LogTail {
        long at(long position) throws IOException;
    }

    /** Appends a record covering the log up to logEnd (not fsync'd; see the class comment). */
    void save(String wanted, ByteBuffer body, long logEnd, long logTail) throws IOException {
        open();
        if (!wanted.equals(tag)) {
            reset(wanted);
        }
        if (logEnd <= covered) {
            throw new IOException(path + ": a record must cover the log beyond byte " + covered + ", not up to " + logEnd);
        }
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + body.remaining());
        record.putInt(body.remaining()).putInt(0).putLong(logEnd).putLong(logTail).put(body.duplicate());
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 8, record.capacity() - 8);
        record.putInt(4, (int) crc.getValue()).flip();
        try {
            file.seek(end);
            file.write(record.array(), 0, record.limit());
        } catch (IOException e) {
            file.setLength(end); // no partial record for the next one to follow
            throw e;
        }
        end += record.limit();
        covered = logEnd;
    }

    /** Forgets every record: the next load or save starts the file afresh. */
    void discard() throws IOException {
        open();
        file.setLength(0);
        tag = null;
        end = 0;
        covered = 0;
    }

    private void open() throws IOException {
        if (file == null) {
            file = new RandomAccessFile(path.toFile(), "rw");
        }
    }

    private static long headerLength(String tag) {
        return MAGIC.length + 4 + tag.getBytes(StandardCharsets.UTF_8).length + 4;
    }

    private boolean headerMatches(String wanted, long length) throws IOException {
        byte[] header = new byte[(int) length];
        file.seek(0);
        int read = file.read(header);
        return read == header.length && Arrays.equals(header, header(wanted));
    }

    private static byte[] header(String tag) {
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(t);
        return ByteBuffer.allocate(MAGIC.length + 4 + t.length + 4).put(MAGIC).putInt(t.length).put(t).putInt((int) crc.getValue()).array();
    }

    private void reset(String wanted) throws IOException {
        file.setLength(0);
        byte[] header = header(wanted);
        file.seek(0);
        file.write(header);
        tag = wanted;
        end = header.length;
        covered = 0;
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            try (RandomAccessFile f = file) {
                f.getFD().sync();
            } finally {
                file = null;
            }
        }
    }

    /** Reads the file forwards through a window, so that small records cost no read each. */
    private final class Window {
        private final ByteBuffer buffer = ByteBuffer.allocate(WINDOW);
        private long start = -1;

        /** Bytes [pos, pos + n) of the file. */
        ByteBuffer bytes(long pos, int n) throws IOException {
            if (n > WINDOW) {
                ByteBuffer big = ByteBuffer.allocate(n);
                fill(big, pos);
                return big.flip();
            }
            if (start < 0 || pos < start || pos + n > start + buffer.limit()) {
                buffer.clear();
                start = pos;
                fill(buffer, pos);
                buffer.flip();
            }
            return buffer.slice((int) (pos - start), n);
        }

        private void fill(ByteBuffer dst, long pos) throws IOException {
            file.seek(pos);
            while (dst.hasRemaining()) {
                int read = file.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (read < 0) {
                    break;
                }
                dst.position(dst.position() + read);
            }
        }
    }
}
