package aranya.sync.quic;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one QUIC version 1 long-header packet lies in a datagram (RFC 9000 §17.2), read from the
 * parts of its header that are not protected. A datagram may carry several packets back to back
 * ("coalesced", RFC 9000 §12.2), each long-header one ending where its Length field says.
 *
 * @param type the long packet type: {@link #INITIAL}, 0-RTT (1), Handshake (2) or Retry (3)
 * @param dcid the destination connection id
 * @param scid the source connection id
 * @param start the index of the packet's first byte in the datagram array
 * @param packetNumberOffset the index of its (protected) packet number
 * @param end the index just past its last byte
 */
record LongHeaderPacket(int type, byte[] dcid, byte[] scid, int start, int packetNumberOffset, int end) {
    /** The long packet type of an Initial packet in QUIC version 1. */
    static final int INITIAL = 0;
    /** The long packet type of a Retry packet, which only servers send. */
    static final int RETRY = 3;
    /** QUIC version 1, the only version kwik's server is set up for here. */
    static final int VERSION_1 = 1;
    /** RFC 9000 §17.2: in version 1 a connection id is at most 20 bytes. */
    static final int MAX_CONNECTION_ID_LENGTH = 20;

    private static final int LONG_HEADER = 0x80;
    private static final int FIXED_BIT = 0x40;

    /**
     * The version 1 long-header packets at the start of data[offset, offset + length), in order.
     * Empty when the datagram starts with a short-header packet (kwik routes it by connection
     * id to a connection that exists, or drops it) or with a long header of another version
     * (kwik answers with Version Negotiation and decrypts nothing). Parsing stops at a
     * short-header packet, which can only come last.
     *
     * @throws InvalidPacketException if a version 1 packet is cut short, has a connection id
     *     over 20 bytes, lacks the fixed bit, is a Retry, or is followed by a packet of another version
     */
    static List<LongHeaderPacket> parse(byte[] data, int offset, int length) throws InvalidPacketException {
        List<LongHeaderPacket> packets = new ArrayList<>(2);
        PacketReader reader = new PacketReader(data, offset, length);
        while (reader.hasRemaining()) {
            int start = reader.position();
            int first = reader.u8();
            if ((first & LONG_HEADER) == 0) {
                break;
            }
            int version = reader.u32();
            if (version != VERSION_1) {
                if (packets.isEmpty()) {
                    break;
                }
                throw new InvalidPacketException("a packet of version " + Integer.toHexString(version) + " coalesced after version 1");
            }
            if ((first & FIXED_BIT) == 0) {
                throw new InvalidPacketException("a version 1 long header without the fixed bit");
            }
            byte[] dcid = connectionId(reader, "destination");
            byte[] scid = connectionId(reader, "source");
            int type = (first & 0x30) >>> 4;
            if (type == RETRY) {
                throw new InvalidPacketException("a Retry packet sent to a server");
            }
            if (type == INITIAL) {
                reader.skip(reader.varint(), "the token");
            }
            long packetLength = reader.varint();
            int packetNumberOffset = reader.position();
            reader.skip(packetLength, "the Length field");
            packets.add(new LongHeaderPacket(type, dcid, scid, start, packetNumberOffset, reader.position()));
        }
        return packets;
    }

    private static byte[] connectionId(PacketReader reader, String which) throws InvalidPacketException {
        int length = reader.u8();
        if (length > MAX_CONNECTION_ID_LENGTH) {
            throw new InvalidPacketException("a " + length + "-byte " + which + " connection id; version 1 allows " + MAX_CONNECTION_ID_LENGTH);
        }
        return reader.bytes(length, "the " + which + " connection id");
    }
}
