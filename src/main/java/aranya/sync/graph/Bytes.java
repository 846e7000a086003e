package aranya.sync.graph;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/** An immutable byte string with value equality, for command payloads and policy blobs. */
public final class Bytes {
    /** The empty byte string. */
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] bytes;

    private Bytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * {@return a byte string with a copy of these bytes}
     *
     * @param bytes the bytes to copy
     */
    public static Bytes of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
    }

    /**
     * {@return a byte string with a copy of {@code length} bytes of src from offset}
     *
     * @param src the array to copy from
     * @param offset where in src the bytes begin
     * @param length how many bytes to copy
     */
    public static Bytes of(byte[] src, int offset, int length) {
        return length == 0 ? EMPTY : new Bytes(Arrays.copyOfRange(src, offset, offset + length));
    }

    /** Takes ownership of the array: the caller must never change it again. */
    static Bytes wrap(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes);
    }

    /** {@return the number of bytes} */
    public int length() {
        return bytes.length;
    }

    /** {@return whether there are no bytes} */
    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /**
     * {@return the byte at index i, without copying}
     *
     * @param i an index from 0 to {@link #length()} - 1
     */
    public byte byteAt(int i) {
        return bytes[i];
    }

    /** {@return a copy of the bytes} */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** {@return a read-only view; no copy} */
    public ByteBuffer asReadOnlyBuffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    /**
     * Copies all bytes into dst at offset.
     *
     * @param dst the array to copy into
     * @param offset where in dst the first byte goes
     */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, bytes.length);
    }

    /**
     * Writes all bytes to out.
     *
     * @param out the stream to write to
     * @throws IOException if out fails
     */
    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
    }

    /**
     * Puts all bytes into out at its position, advancing it.
     *
     * @param out the buffer to put into; it must have room for {@link #length()} bytes
     */
    public void writeTo(ByteBuffer out) {
        out.put(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return bytes.length <= 16 ? HexFormat.of().formatHex(bytes) : bytes.length + " bytes";
    }
}
