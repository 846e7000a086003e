package aranya.sync.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.Arrays;

/**
 * A growable run of bytes the index keeps a column in: little-endian, read and written at
 * absolute offsets, in chunks of {@link #CHUNK} bytes (one {@link ByteBuffer} cannot hold more
 * than 2 GiB). The chunks come from a {@link Mapper}: heap buffers, or buffers that map a file
 * a store offers ({@link IndexFiles#map}), so that the index costs no heap per command.
 * Values are aligned to their size and the chunk size is a power of two, so no value
 * straddles two chunks.
 */
final class Region {
    static final int CHUNK_SHIFT = 28;
    /** Bytes per chunk: 256 MiB. */
    static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final long OFFSET_MASK = CHUNK - 1;
    /** The first size a heap region gets. */
    private static final int FIRST = 1 << 12;

    /** Gives the buffer for bytes [offset, offset + length) of a region. */
    @FunctionalInterface
    interface Mapper {
        /**
         * The buffer for those bytes, holding what they held before: previous is the buffer
         * that covered the start of that range so far (null for none), which a heap mapper
         * copies and a file mapper does not need.
         */
        ByteBuffer map(long offset, int length, ByteBuffer previous) throws IOException;
    }

    /** Regions on the heap. */
    static final Mapper HEAP = (offset, length, previous) -> {
        ByteBuffer b = ByteBuffer.allocate(length);
        if (previous != null) {
            b.put(0, previous, 0, Math.min(length, previous.capacity()));
        }
        return b;
    };

    private final Mapper mapper;
    private ByteBuffer[] chunks = new ByteBuffer[0];
    private long capacity;

    /** A region over the first length bytes the mapper has (for a file: the bytes it holds). */
    Region(Mapper mapper, long length) {
        this.mapper = mapper;
        if (length > 0) {
            grow(length);
        }
    }

    long capacity() {
        return capacity;
    }

    long getLong(long at) {
        return chunks[(int) (at >>> CHUNK_SHIFT)].getLong((int) (at & OFFSET_MASK));
    }

    int getInt(long at) {
        return chunks[(int) (at >>> CHUNK_SHIFT)].getInt((int) (at & OFFSET_MASK));
    }

    void putLong(long at, long v) {
        chunks[(int) (at >>> CHUNK_SHIFT)].putLong((int) (at & OFFSET_MASK), v);
    }

    void putInt(long at, int v) {
        chunks[(int) (at >>> CHUNK_SHIFT)].putInt((int) (at & OFFSET_MASK), v);
    }

    /** Makes bytes [0, bytes) usable, growing by half at least (so that growing step by step costs O(1) a byte). */
    void ensure(long bytes) {
        if (bytes > capacity) {
            grow(Math.max(bytes, Math.max(FIRST, capacity + (capacity >> 1))));
        }
    }

    private void grow(long bytes) {
        int count = (int) ((bytes + CHUNK - 1) >>> CHUNK_SHIFT);
        ByteBuffer[] next = Arrays.copyOf(chunks, count);
        try {
            for (int c = Math.max(0, chunks.length - 1); c < count; c++) {
                long start = (long) c << CHUNK_SHIFT;
                int length = (int) Math.min(CHUNK, bytes - start);
                ByteBuffer previous = c < chunks.length ? chunks[c] : null;
                if (previous == null || previous.capacity() < length) {
                    next[c] = mapper.map(start, length, previous).order(ByteOrder.LITTLE_ENDIAN);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extend the graph's index to " + bytes + " bytes: " + e.getMessage(), e);
        }
        chunks = next;
        capacity = bytes;
    }

    /** Writes what is mapped from a file back to it and waits until it is on disk; nothing for heap chunks. */
    void force() {
        for (ByteBuffer c : chunks) {
            if (c instanceof MappedByteBuffer m) {
                m.force();
            }
        }
    }
}
