package aranya.sync.wire;

import aranya.sync.graph.Bytes;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * Appends values in postcard 1.x form to a growable byte array. Together with
 * {@link PostcardReader} this is the only varint and length-prefix code of the project.
 *
 * <p>Postcard rules used here (wire spec {@code postcard/spec/src/wire-format.md}): {@code u8}
 * is one raw byte; {@code bool} is {@code 00}/{@code 01}; every wider unsigned integer is an
 * unsigned LEB128 varint; enum variants are the varint of their index followed by their fields;
 * sequences and strings are the varint of their length followed by the elements; structs are
 * their fields concatenated, with no framing. Programming errors (an out-of-range value) throw
 * {@link IllegalArgumentException}: records have already validated what reaches this class.
 */
public final class PostcardWriter {
    private byte[] buffer = new byte[64];
    private int size;

    /** Appends one raw byte (0..255). */
    public void writeU8(int value) {
        if (value < 0 || value > 0xFF) {
            throw new IllegalArgumentException("a u8 is 0..255, got " + value);
        }
        ensureCapacity(1);
        buffer[size++] = (byte) value;
    }

    /** Appends {@code 01} for true, {@code 00} for false. */
    public void writeBool(boolean value) {
        writeU8(value ? 1 : 0);
    }

    /** Appends the index of an enum variant, which postcard encodes as a {@code u32} varint. */
    public void writeVariantIndex(int index) {
        writeVarU32(index);
    }

    /** Appends a {@code u32} varint; value must be 0..2^32-1. */
    public void writeVarU32(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a u32 is 0..2^32-1, got " + value);
        }
        writeVarint(0, value);
    }

    /** Appends a {@code u64} (or {@code usize}) varint; value is read as unsigned. */
    public void writeVarU64(long value) {
        writeVarint(0, value);
    }

    /** Appends a {@code u128} varint: the session id as one unsigned 128-bit number. */
    public void writeU128(SessionId value) {
        writeVarint(value.high(), value.low());
    }

    /** Appends an Aranya id: it serializes as a byte string, so the length 32 comes first. */
    public void writeId(CommandId id) {
        int idStart = reserveId(); // first: it may replace the buffer
        id.copyTo(buffer, idStart);
    }

    /** Appends an Aranya id: it serializes as a byte string, so the length 32 comes first. */
    public void writeId(GraphId id) {
        int idStart = reserveId(); // first: it may replace the buffer
        id.copyTo(buffer, idStart);
    }

    /** Appends a byte string: its length, then its bytes. */
    public void writeBytes(Bytes bytes) {
        writeSeqLength(bytes.length());
        writeRaw(bytes);
    }

    /** Appends the bytes alone, with no length; for command bodies that follow a message. */
    public void writeRaw(Bytes bytes) {
        ensureCapacity(bytes.length());
        bytes.copyTo(buffer, size);
        size += bytes.length();
    }

    /**
     * Appends a string as its UTF-8 byte length, then the UTF-8 bytes. Like
     * {@link String#getBytes}, it writes an unpaired surrogate as {@code '?'}.
     */
    public void writeString(String value) {
        writeBytes(Bytes.of(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** Appends the element count that starts a sequence. */
    public void writeSeqLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("a sequence length is >= 0, got " + length);
        }
        writeVarU64(length);
    }

    /** Appends a Rust {@code core::time::Duration}: seconds as a u64, then nanoseconds as a u32. */
    public void writeDuration(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a Rust Duration is never negative, got " + duration);
        }
        writeVarU64(duration.getSeconds());
        writeVarU32(duration.getNano());
    }

    /** The number of bytes written so far. */
    public int size() {
        return size;
    }

    /** A copy of the bytes written so far. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }

    /**
     * The one varint loop: unsigned LEB128 of {@code high * 2^64 + low}, seven bits per byte,
     * least significant first, the high bit set on every byte but the last. It always emits
     * the shortest form, which {@link PostcardReader} insists on.
     */
    private void writeVarint(long high, long low) {
        ensureCapacity(PostcardReader.U128_MAX_BYTES);
        while (high != 0 || Long.compareUnsigned(low, 0x7F) > 0) {
            buffer[size++] = (byte) (low | 0x80);
            low = (low >>> 7) | (high << 57);
            high >>>= 7;
        }
        buffer[size++] = (byte) low;
    }

    /** Writes the length prefix of an id and reserves room for its bytes; returns where they go. */
    private int reserveId() {
        ensureCapacity(1 + CommandId.LENGTH);
        buffer[size++] = CommandId.LENGTH;
        int idStart = size;
        size += CommandId.LENGTH;
        return idStart;
    }

    private void ensureCapacity(int extra) {
        int needed = Math.addExact(size, extra);
        if (needed > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(needed, buffer.length * 2));
        }
    }
}
