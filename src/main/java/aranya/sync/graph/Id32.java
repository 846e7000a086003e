package aranya.sync.graph;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Shared behaviour of the 32-byte identifiers: value equality, unsigned byte-wise order
 * (Aranya derives {@code Ord} on {@code [u8; 32]}), hex rendering. The bytes never change.
 */
abstract sealed class Id32 permits CommandId, GraphId, KeyId {
    /** Every id is exactly this many bytes. */
    public static final int LENGTH = 32;

    private final byte[] bytes;
    private final int hash;

    Id32(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("an id is " + LENGTH + " bytes, got " + bytes.length);
        }
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    /** {@return a copy of the 32 bytes} */
    public final byte[] toByteArray() {
        return bytes.clone();
    }

    /**
     * {@return the byte at index i (0..31), without copying}
     *
     * @param i an index from 0 to 31
     */
    public final byte byteAt(int i) {
        return bytes[i];
    }

    /**
     * Copies the 32 bytes into dst at offset.
     *
     * @param dst the array to copy into
     * @param offset where in dst the first byte goes
     */
    public final void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    final byte[] rawBytes() {
        return bytes;
    }

    final int compareBytes(Id32 other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    /** {@return the full id in lower-case hex} */
    public final String toHex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(bytes, ((Id32) o).bytes);
    }

    @Override
    public final int hashCode() {
        return hash;
    }

    /** The first 8 bytes in hex: enough to tell ids apart in logs. */
    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes, 0, 8);
    }
}
