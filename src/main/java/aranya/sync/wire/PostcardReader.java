package aranya.sync.wire;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.CommandId;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reads postcard 1.x values from a slice of a byte array, the mirror of
 * {@link PostcardWriter}. Input is untrusted: every failure is a {@link SyncException} with
 * {@link SyncError#MALFORMED} whose message names the offset (counted from the start of the
 * slice), and no claimed length makes it allocate more than the bytes actually present.
 *
 * <p>It is stricter than postcard in two ways, so that decoding and re-encoding always gives
 * back the same bytes: a varint must use its shortest form (postcard also accepts, say,
 * {@code 80 00} for 0), and every value must fit the Java type that holds it (see
 * {@link #readDuration()}).
 */
public final class PostcardReader {
    /** The longest varint of a {@code u128}: ceil(128 / 7) bytes. */
    static final int U128_MAX_BYTES = 19;

    private final byte[] buffer;
    private final int start;
    private final int end;
    private int position;

    /** A reader over {@code length} bytes of buffer from offset; the bytes are not copied. */
    public PostcardReader(byte[] buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        this.buffer = buffer;
        this.start = offset;
        this.end = offset + length;
        this.position = offset;
    }

    /** A reader over all of buffer. */
    public PostcardReader(byte[] buffer) {
        this(buffer, 0, buffer.length);
    }

    /** Where the next value starts, counted from the start of the slice. */
    public int offset() {
        return position - start;
    }

    /** How many bytes are left. */
    public int remaining() {
        return end - position;
    }

    /** Reads one raw byte as 0..255. */
    public int readU8() throws SyncException {
        require(1, "a u8");
        return buffer[position++] & 0xFF;
    }

    /** Reads a bool: {@code 00} or {@code 01}, anything else is malformed. */
    public boolean readBool() throws SyncException {
        int at = offset();
        int value = readU8();
        if (value > 1) {
            throw malformed(at, String.format("a bool is 00 or 01, got %02x", value));
        }
        return value == 1;
    }

    /**
     * Reads the index of an enum variant (a {@code u32} varint). An index beyond
     * {@code Integer.MAX_VALUE} names no variant of any of our types, so it is refused here.
     */
    public int readVariantIndex() throws SyncException {
        int at = offset();
        long index = readVarU32();
        if (index > Integer.MAX_VALUE) {
            throw malformed(at, "variant index " + index + " names no variant");
        }
        return (int) index;
    }

    /** Reads a {@code u32} varint (at most 5 bytes) as 0..2^32-1. */
    public long readVarU32() throws SyncException {
        return readVarint(32, "u32").low();
    }

    /** Reads a {@code u64} or {@code usize} varint (at most 10 bytes); the long holds it unsigned. */
    public long readVarU64() throws SyncException {
        return readVarint(64, "u64").low();
    }

    /** Reads a {@code u128} varint (at most 19 bytes), the type of Aranya's session id. */
    public SessionId readU128() throws SyncException {
        Varint value = readVarint(128, "u128");
        return new SessionId(value.high(), value.low());
    }

    /**
     * Reads an Aranya id, which serializes as a byte string of length 32: the byte {@code 20}
     * and then the 32 bytes. The id type is chosen by the caller, e.g.
     * {@code readId(CommandId::of)}.
     */
    public <T> T readId(Function<byte[], T> idOf) throws SyncException {
        int at = offset();
        int length = readU8();
        if (length != CommandId.LENGTH) {
            throw malformed(at, String.format("an id has length prefix %02x, got %02x", CommandId.LENGTH, length));
        }
        require(CommandId.LENGTH, "an id");
        byte[] id = new byte[CommandId.LENGTH];
        System.arraycopy(buffer, position, id, 0, CommandId.LENGTH);
        position += CommandId.LENGTH;
        return idOf.apply(id);
    }

    /** Reads a byte string: a {@code usize} length, then that many bytes. */
    public Bytes readBytes() throws SyncException {
        return readRaw(readVarU64());
    }

    /**
     * Reads exactly {@code length} bytes with no length prefix (the command bodies that follow
     * a message); length is unsigned. Checked against the bytes left before anything is copied.
     */
    public Bytes readRaw(long length) throws SyncException {
        int at = offset();
        if (Long.compareUnsigned(length, remaining()) > 0) {
            throw malformed(at, "needs " + Long.toUnsignedString(length) + " bytes, only " + remaining() + " left");
        }
        Bytes bytes = Bytes.of(buffer, position, (int) length);
        position += (int) length;
        return bytes;
    }

    /** Reads a string: a {@code usize} length, then that many bytes of well-formed UTF-8. */
    public String readString() throws SyncException {
        int at = offset();
        Bytes utf8 = readBytes();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(utf8.asReadOnlyBuffer())
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SyncException(SyncError.MALFORMED, "string at offset " + at + " is not valid UTF-8", e);
        }
    }

    /**
     * Reads the element count that starts a sequence and checks it against max. It must also
     * not exceed the bytes left, since each element of our sequences takes at least one byte;
     * so a hostile count cannot make the caller size anything beyond the input.
     */
    public int readSeqLength(int max) throws SyncException {
        int at = offset();
        long length = readVarU64();
        if (Long.compareUnsigned(length, max) > 0) {
            throw malformed(at, "sequence of " + Long.toUnsignedString(length) + " elements, at most " + max + " allowed");
        }
        if (length > remaining()) {
            throw malformed(at, "sequence of " + length + " elements, only " + remaining() + " bytes left");
        }
        return (int) length;
    }

    /**
     * Reads a Rust {@code core::time::Duration}: seconds as a {@code u64}, then nanoseconds as
     * a {@code u32} below 10^9. Seconds of 2^63 or more do not fit {@link Duration} and are
     * refused.
     */
    public Duration readDuration() throws SyncException {
        int at = offset();
        long seconds = readVarU64();
        long nanos = readVarU32();
        if (seconds < 0) {
            throw malformed(at, "duration of " + Long.toUnsignedString(seconds) + " s exceeds 2^63-1 s");
        }
        if (nanos >= 1_000_000_000L) {
            throw malformed(at, "duration with " + nanos + " ns, must be below 10^9");
        }
        return Duration.ofSeconds(seconds, nanos);
    }

    /** Fails unless every byte has been read: trailing bytes mean the message is not what it claims. */
    public void expectEnd() throws SyncException {
        if (position != end) {
            throw malformed(offset(), remaining() + " trailing bytes");
        }
    }

    /** A {@link SyncError#MALFORMED} failure of the value that starts at offset. */
    static SyncException malformed(int offset, String problem) {
        return new SyncException(SyncError.MALFORMED, problem + " at offset " + offset);
    }

    private void require(int count, String what) throws SyncException {
        if (remaining() < count) {
            throw malformed(offset(), "truncated: " + what + " needs " + count + " bytes, " + remaining() + " left");
        }
    }

    /** The halves of an unsigned varint of up to 128 bits. */
    private record Varint(long high, long low) {}

    /**
     * The one varint loop: unsigned LEB128 of at most {@code bits} bits (32, 64 or 128), so at
     * most ceil(bits / 7) bytes, the last of which may only carry the bits that remain. A
     * final byte of zero after others would be an overlong (non-shortest) encoding.
     */
    private Varint readVarint(int bits, String type) throws SyncException {
        int at = offset();
        int maxBytes = (bits + 6) / 7;
        long high = 0;
        long low = 0;
        for (int i = 0; i < maxBytes; i++) {
            require(1, "a " + type + " varint");
            int b = buffer[position++] & 0xFF;
            long group = b & 0x7F;
            int shift = 7 * i;
            if (i == maxBytes - 1 && group >>> (bits - shift) != 0) {
                throw malformed(at, type + " varint overflows " + bits + " bits");
            }
            if (shift < Long.SIZE) {
                low |= group << shift;
                if (shift + 7 > Long.SIZE) {
                    high |= group >>> (Long.SIZE - shift);
                }
            } else {
                high |= group << (shift - Long.SIZE);
            }
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw malformed(at, "overlong " + type + " varint (not the shortest form)");
                }
                return new Varint(high, low);
            }
        }
        throw malformed(at, type + " varint longer than " + maxBytes + " bytes");
    }
}
