package aranya.sync.quic;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds client Initial packets by hand, protected as RFC 9001 §5 says, with whatever frames
 * an attack needs: the attack tool's half of {@link InitialPacketOpener}.
 */
final class InitialPacketForge {
    static final int PADDING = 0x00;
    static final int CRYPTO = 0x06;
    private static final int PACKET_NUMBER_LENGTH = 2;
    private static final int TAG_LENGTH = 16;

    private InitialPacketForge() {}

    /**
     * One datagram of datagramSize bytes holding one Initial packet to dcid from scid, whose
     * payload is frames followed by PADDING.
     */
    static byte[] initial(byte[] dcid, byte[] scid, int packetNumber, byte[] frames, int datagramSize) {
        return initial(InitialKeys.client(dcid), dcid, scid, packetNumber, frames, datagramSize);
    }

    /** As above, protected with keys: those of the connection's first connection id, for a later Initial. */
    static byte[] initial(InitialKeys keys, byte[] dcid, byte[] scid, int packetNumber, byte[] frames, int datagramSize) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write(0xc0 | (PACKET_NUMBER_LENGTH - 1));
        header.writeBytes(new byte[] {0, 0, 0, 1});
        header.write(dcid.length);
        header.writeBytes(dcid);
        header.write(scid.length);
        header.writeBytes(scid);
        header.write(0); // no token
        int headerLength = header.size() + 2 + PACKET_NUMBER_LENGTH; // a 2-byte Length field
        int payloadLength = Math.max(frames.length, datagramSize - headerLength - TAG_LENGTH);
        int length = PACKET_NUMBER_LENGTH + payloadLength + TAG_LENGTH;
        header.writeBytes(varint(length, 2));
        header.write(packetNumber >>> 8);
        header.write(packetNumber);
        byte[] headerBytes = header.toByteArray();
        byte[] payload = Arrays.copyOf(frames, payloadLength); // zero bytes are PADDING frames
        return protect(keys, headerBytes, PACKET_NUMBER_LENGTH, 0x0f, packetNumber, payload);
    }

    /** A 1-RTT packet to dcid, numbered packetNumber (4 bytes), holding frames, protected with keys. */
    static byte[] shortHeader(InitialKeys keys, byte[] dcid, int packetNumber, byte[] frames) {
        byte[] header = ByteBuffer.allocate(1 + dcid.length + 4).put((byte) 0x43).put(dcid).putInt(packetNumber).array();
        return protect(keys, header, 4, 0x1f, packetNumber, frames);
    }

    /** A CRYPTO frame carrying data at offset. */
    static byte[] crypto(long offset, byte[] data) {
        return cryptoClaiming(offset, data.length, data);
    }

    /** A CRYPTO frame whose length field says claimedLength, followed by only data. */
    static byte[] cryptoClaiming(long offset, long claimedLength, byte[] data) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(CRYPTO);
        frame.writeBytes(varint(offset, 8));
        frame.writeBytes(varint(claimedLength, 8));
        frame.writeBytes(data);
        return frame.toByteArray();
    }

    /** value as a QUIC variable-length integer of width bytes (1, 2, 4 or 8). */
    static byte[] varint(long value, int width) {
        byte[] bytes = new byte[width];
        for (int i = 0; i < width; i++) {
            bytes[width - 1 - i] = (byte) (value >>> (8 * i));
        }
        bytes[0] |= (byte) (Integer.numberOfTrailingZeros(width) << 6);
        return bytes;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Encrypts payload, then masks the header's firstByteBits and its packetNumberLength-byte packet number (RFC 9001 §5.4). */
    private static byte[] protect(InitialKeys keys, byte[] header, int packetNumberLength, int firstByteBits, long packetNumber,
            byte[] payload) {
        try {
            byte[] nonce = keys.iv().clone();
            for (int i = 0; i < Long.BYTES; i++) {
                nonce[nonce.length - 1 - i] ^= (byte) (packetNumber >>> (8 * i));
            }
            Cipher aead = Cipher.getInstance("AES/GCM/NoPadding");
            aead.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.key(), "AES"), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            aead.updateAAD(header);
            byte[] packet = concat(header, aead.doFinal(payload));
            int packetNumberOffset = header.length - packetNumberLength;
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.headerProtectionKey(), "AES"));
            byte[] mask = ecb.doFinal(packet, packetNumberOffset + 4, 16);
            packet[0] ^= (byte) (mask[0] & firstByteBits);
            for (int i = 0; i < packetNumberLength; i++) {
                packet[packetNumberOffset + i] ^= mask[1 + i];
            }
            return packet;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
