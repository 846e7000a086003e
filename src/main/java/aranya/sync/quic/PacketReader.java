package aranya.sync.quic;

/**
 * A bounds-checked cursor over part of a byte array, reading QUIC's big-endian integers and
 * variable-length integers (RFC 9000 §16: the two high bits of the first byte give the length,
 * 1, 2, 4 or 8 bytes). Every read past the limit fails with {@link InvalidPacketException}.
 */
final class PacketReader {
    private final byte[] data;
    private final int limit;
    private int position;

    /** Reads data[offset, offset + length). */
    PacketReader(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException("[" + offset + ", " + offset + "+" + length + ") outside " + data.length + " bytes");
        }
        this.data = data;
        this.position = offset;
        this.limit = offset + length;
    }

    int position() {
        return position;
    }

    int remaining() {
        return limit - position;
    }

    boolean hasRemaining() {
        return position < limit;
    }

    int u8() throws InvalidPacketException {
        require(1, "a byte");
        return data[position++] & 0xff;
    }

    int u32() throws InvalidPacketException {
        require(4, "a 32-bit field");
        int value = ((data[position] & 0xff) << 24) | ((data[position + 1] & 0xff) << 16)
                | ((data[position + 2] & 0xff) << 8) | (data[position + 3] & 0xff);
        position += 4;
        return value;
    }

    /** A QUIC variable-length integer, 0 to 2^62 - 1. */
    long varint() throws InvalidPacketException {
        require(1, "a variable-length integer");
        int length = 1 << ((data[position] & 0xff) >>> 6);
        require(length, "a " + length + "-byte variable-length integer");
        long value = data[position] & 0x3f;
        for (int i = 1; i < length; i++) {
            value = (value << 8) | (data[position + i] & 0xff);
        }
        position += length;
        return value;
    }

    /** The next length bytes, copied. */
    byte[] bytes(int length, String what) throws InvalidPacketException {
        require(length, what);
        byte[] copy = new byte[length];
        System.arraycopy(data, position, copy, 0, length);
        position += length;
        return copy;
    }

    /** Skips length bytes; length is a long because frames declare lengths as variable-length integers. */
    void skip(long length, String what) throws InvalidPacketException {
        if (length < 0 || length > remaining()) {
            throw new InvalidPacketException(what + " claims " + length + " bytes, but " + remaining() + " remain");
        }
        position += (int) length;
    }

    private void require(int length, String what) throws InvalidPacketException {
        if (length > remaining()) {
            throw new InvalidPacketException("cut short: " + what + " needs " + length + " bytes, " + remaining() + " remain");
        }
    }
}
