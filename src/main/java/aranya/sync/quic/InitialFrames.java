package aranya.sync.quic;

/**
 * Checks the frames of a decrypted Initial packet before kwik parses them. kwik 0.10.8
 * allocates a CRYPTO frame's data at the length the frame claims before it compares that with
 * the packet, so a 1,200-byte packet claiming 2 GiB made the node allocate 2 GiB. Here every
 * length is checked against what the packet holds, and the handshake data a CRYPTO frame
 * places must end within {@link #MAX_CRYPTO_END}.
 *
 * <p>RFC 9000 §12.4 allows only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE in an Initial
 * packet; any other frame is a protocol violation, and the packet is dropped.
 */
final class InitialFrames {
    /**
     * Where the client's Initial handshake data (its ClientHello) must end: 64 KiB. A
     * ClientHello is a few hundred bytes; even one with large post-quantum key shares is under 2 KiB.
     */
    static final long MAX_CRYPTO_END = 64 * 1024;

    private static final int PADDING = 0x00;
    private static final int PING = 0x01;
    private static final int ACK = 0x02;
    private static final int ACK_ECN = 0x03;
    private static final int CRYPTO = 0x06;
    private static final int CONNECTION_CLOSE = 0x1c;
    private static final int APPLICATION_CLOSE = 0x1d;

    private InitialFrames() {}

    /**
     * Checks every frame of an Initial packet's payload.
     *
     * @throws InvalidPacketException naming the first frame that is not allowed, claims more than
     *     the packet holds, or places handshake data past {@link #MAX_CRYPTO_END}; or if there is no frame
     */
    static void check(byte[] payload) throws InvalidPacketException {
        if (payload.length == 0) {
            throw new InvalidPacketException("an Initial packet with no frames");
        }
        PacketReader reader = new PacketReader(payload, 0, payload.length);
        while (reader.hasRemaining()) {
            int type = reader.u8(); // every frame type allowed here fits in one byte
            switch (type) {
                case PADDING, PING -> {}
                case ACK, ACK_ECN -> ack(reader, type == ACK_ECN);
                case CRYPTO -> crypto(reader);
                case CONNECTION_CLOSE -> {
                    reader.varint(); // error code
                    reader.varint(); // type of the frame that caused it
                    reader.skip(reader.varint(), "a CONNECTION_CLOSE reason");
                }
                case APPLICATION_CLOSE -> {
                    reader.varint(); // error code
                    reader.skip(reader.varint(), "a CONNECTION_CLOSE reason");
                }
                default -> throw new InvalidPacketException("frame type 0x" + Integer.toHexString(type) + " in an Initial packet");
            }
        }
    }

    private static void ack(PacketReader reader, boolean ecn) throws InvalidPacketException {
        reader.varint(); // largest acknowledged
        reader.varint(); // ack delay
        long ranges = reader.varint();
        reader.varint(); // first range
        // Each further range is two variable-length integers of at least one byte each.
        if (ranges > reader.remaining() / 2) {
            throw new InvalidPacketException("an ACK frame claims " + ranges + " ranges, but " + reader.remaining() + " bytes remain");
        }
        for (long i = 0; i < 2 * ranges; i++) {
            reader.varint(); // gap, then range length
        }
        if (ecn) {
            reader.varint();
            reader.varint();
            reader.varint();
        }
    }

    private static void crypto(PacketReader reader) throws InvalidPacketException {
        long offset = reader.varint();
        long length = reader.varint();
        if (offset > MAX_CRYPTO_END || length > MAX_CRYPTO_END - offset) {
            throw new InvalidPacketException("a CRYPTO frame places " + length + " bytes at offset " + offset
                    + ", past the " + MAX_CRYPTO_END + " bytes a ClientHello may take");
        }
        reader.skip(length, "a CRYPTO frame");
    }
}
