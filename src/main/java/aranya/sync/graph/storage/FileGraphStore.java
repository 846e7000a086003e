package aranya.sync.graph.storage;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * One graph as an append-only log file. Each batch is one record:
 * {@code u32 body length | u32 CRC-32C of body | body} (body: {@link CommandRecords}),
 * written at the end of the file and fsync'd before {@link #append} returns.
 *
 * <p>Opening scans the log; the first record that is cut short or fails its checksum marks
 * the end of what was acknowledged (a crash can only tear the batch being written), so the
 * file is truncated there. The file is locked while open, so two nodes cannot share it.
 */
final class FileGraphStore implements GraphStore {
    private static final System.Logger LOG = System.getLogger(FileGraphStore.class.getName());
    private static final byte[] MAGIC = {'A', 'R', 'S', 'Y', 'N', 'C', 'G', '1'};
    private static final int RECORD_HEADER = 8;
    /** No batch we write comes near this; a larger length can only be a torn or corrupt header. */
    static final int MAX_RECORD = 1 << 30;

    private final GraphId graph;
    private final Path path;
    private final FileChannel channel;
    private final FileLock fileLock;
    private final ReentrantLock lock = new ReentrantLock();
    private long end;

    FileGraphStore(GraphId graph, Path path) throws IOException {
        this.graph = graph;
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            this.fileLock = channel.tryLock();
            if (fileLock == null) {
                throw new IOException(path + " is in use by another process");
            }
            this.end = recover();
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new IOException(path + " is already open in this process", e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Checks the header and every record's checksum; truncates a torn tail. Returns the log's end. */
    private long recover() throws IOException {
        long size = channel.size();
        if (size < MAGIC.length) {
            // New file, or a crash while it was being created: start it afresh.
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(MAGIC), 0);
            channel.force(true);
            return MAGIC.length;
        }
        ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
        readFully(magic, 0);
        if (!Arrays.equals(magic.array(), MAGIC)) {
            throw new IOException(path + " is not an aranya-sync graph log");
        }
        long pos = MAGIC.length;
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
        while (pos + RECORD_HEADER <= size) {
            header.clear();
            readFully(header, pos);
            int length = header.getInt(0);
            if (length < 0 || length > MAX_RECORD || pos + RECORD_HEADER + length > size) {
                break;
            }
            ByteBuffer body = ByteBuffer.allocate(length);
            readFully(body, pos + RECORD_HEADER);
            if (crc(body.array()) != header.getInt(4)) {
                break;
            }
            pos += RECORD_HEADER + length;
        }
        if (pos < size) {
            LOG.log(Level.WARNING, "{0}: dropping {1} bytes after the last complete batch (torn write)", path, size - pos);
            channel.truncate(pos);
            channel.force(true);
        }
        return pos;
    }

    @Override
    public GraphId graphId() {
        return graph;
    }

    @Override
    public void replay(Consumer<Command> sink) throws IOException {
        lock.lock();
        try {
            long pos = MAGIC.length;
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            while (pos < end) {
                header.clear();
                readFully(header, pos);
                ByteBuffer body = ByteBuffer.allocate(header.getInt(0));
                readFully(body, pos + RECORD_HEADER);
                body.flip();
                CommandRecords.decode(body, sink);
                pos += RECORD_HEADER + body.capacity();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void append(List<Command> batch) throws IOException {
        byte[] body = CommandRecords.encode(batch);
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + body.length);
        record.putInt(body.length).putInt(crc(body)).put(body).flip();
        lock.lock();
        try {
            long start = end;
            try {
                long pos = start;
                while (record.hasRemaining()) {
                    pos += channel.write(record, pos);
                }
                channel.force(false);
                end = pos;
            } catch (IOException e) {
                try {
                    channel.truncate(start); // leave no partial record for the next append to follow
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (channel.isOpen()) {
                fileLock.release();
                channel.close();
            }
        } finally {
            lock.unlock();
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
