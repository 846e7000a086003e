package aranya.sync.quic;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Removes the protection of a client's Initial packet (RFC 9001 §5.3, §5.4) and returns its
 * plaintext frames, without touching the datagram: kwik still gets the packet as it came.
 * Not thread-safe: it keeps its ciphers; the listener's socket uses it from kwik's one receiver thread.
 */
final class InitialPacketOpener {
    /** Bytes of the payload sampled for the header protection mask, and of the AEAD tag. */
    private static final int SAMPLE_LENGTH = 16;
    private static final int TAG_LENGTH = 16;
    /** The sample starts 4 bytes after the packet number's first byte, whatever its length. */
    private static final int SAMPLE_OFFSET = 4;
    /** Reserved bits of a long header; after header protection is removed they must be zero. */
    private static final int RESERVED_BITS = 0x0c;

    private final Cipher headerProtection;
    private final Cipher aead;

    InitialPacketOpener() {
        try {
            headerProtection = Cipher.getInstance("AES/ECB/NoPadding");
            aead = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has AES-ECB and AES-GCM", e);
        }
    }

    /**
     * The decrypted payload of the Initial packet where packet lies in data.
     *
     * @throws InvalidPacketException if the packet is too short to sample, its reserved bits are
     *     set, or it does not decrypt with keys (forged, damaged, or for another connection)
     */
    byte[] open(byte[] data, LongHeaderPacket packet, InitialKeys keys) throws InvalidPacketException {
        int sampleAt = packet.packetNumberOffset() + SAMPLE_OFFSET;
        if (sampleAt + SAMPLE_LENGTH > packet.end()) {
            throw new InvalidPacketException("an Initial packet too short to sample for header protection");
        }
        byte[] mask = mask(keys, Arrays.copyOfRange(data, sampleAt, sampleAt + SAMPLE_LENGTH));
        int first = (data[packet.start()] ^ (mask[0] & 0x0f)) & 0xff;
        int packetNumberLength = (first & 0x03) + 1;
        int payloadAt = packet.packetNumberOffset() + packetNumberLength;
        if (payloadAt + TAG_LENGTH > packet.end()) {
            throw new InvalidPacketException("an Initial packet shorter than its packet number and tag");
        }
        byte[] header = Arrays.copyOfRange(data, packet.start(), payloadAt);
        header[0] = (byte) first;
        long packetNumber = 0;
        for (int i = 0; i < packetNumberLength; i++) {
            int index = header.length - packetNumberLength + i;
            header[index] ^= mask[1 + i];
            packetNumber = (packetNumber << 8) | (header[index] & 0xff);
        }
        byte[] payload = decrypt(keys, packetNumber, header, data, payloadAt, packet.end() - payloadAt);
        if ((first & RESERVED_BITS) != 0) {
            throw new InvalidPacketException("an Initial packet with its reserved header bits set");
        }
        return payload;
    }

    private byte[] mask(InitialKeys keys, byte[] sample) {
        try {
            headerProtection.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.headerProtectionKey(), "AES"));
            return headerProtection.doFinal(sample);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-ECB refused a 16-byte key and block", e);
        }
    }

    /**
     * AES-128-GCM with the nonce iv XOR packet number (RFC 9001 §5.3). A client numbers its
     * Initial packets from 0 and sends few, so the truncated packet number is the full one;
     * an Initial numbered past what its encoding can say fails to decrypt and is dropped.
     */
    private byte[] decrypt(InitialKeys keys, long packetNumber, byte[] header, byte[] data, int offset, int length)
            throws InvalidPacketException {
        byte[] nonce = keys.iv().clone();
        for (int i = 0; i < Long.BYTES; i++) {
            nonce[nonce.length - 1 - i] ^= (byte) (packetNumber >>> (8 * i));
        }
        try {
            aead.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.key(), "AES"), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            aead.updateAAD(header);
            return aead.doFinal(data, offset, length);
        } catch (AEADBadTagException e) {
            throw new InvalidPacketException("an Initial packet that does not decrypt with the keys of its connection id");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused a 16-byte key and 12-byte nonce", e);
        }
    }
}
