package aranya.sync.quic;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The keys that protect a client's QUIC version 1 Initial packets (RFC 9001 §5.2). They derive
 * from the Destination Connection ID of the client's first Initial alone, so anyone, and in
 * particular the listener's socket, can read an Initial before the server spends anything on it.
 *
 * @param key the AES-128-GCM packet protection key
 * @param iv the 12-byte IV, XORed with the packet number to make each packet's nonce
 * @param headerProtectionKey the AES-128 key whose ECB encryption of a payload sample masks the
 *     header's low bits and packet number
 */
record InitialKeys(byte[] key, byte[] iv, byte[] headerProtectionKey) {
    /** RFC 9001 §5.2: initial_salt of QUIC version 1. */
    private static final byte[] INITIAL_SALT_V1 = HexFormat.of().parseHex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    private static final int KEY_LENGTH = 16;
    private static final int IV_LENGTH = 12;

    /** The keys of the client's Initial packets on the connection whose first Initial went to originalDcid. */
    static InitialKeys client(byte[] originalDcid) {
        byte[] initialSecret = Hkdf.extract(INITIAL_SALT_V1, originalDcid);
        byte[] clientSecret = expandLabel(initialSecret, "client in", Hkdf.HASH_LENGTH);
        return new InitialKeys(expandLabel(clientSecret, "quic key", KEY_LENGTH), expandLabel(clientSecret, "quic iv", IV_LENGTH),
                expandLabel(clientSecret, "quic hp", KEY_LENGTH));
    }

    /**
     * TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context: the info is the output
     * length (u16), then "tls13 " + label with a one-byte length, then an empty context.
     */
    static byte[] expandLabel(byte[] secret, String label, int length) {
        byte[] fullLabel = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[2 + 1 + fullLabel.length + 1];
        info[0] = (byte) (length >>> 8);
        info[1] = (byte) length;
        info[2] = (byte) fullLabel.length;
        System.arraycopy(fullLabel, 0, info, 3, fullLabel.length);
        return Hkdf.expand(secret, info, length);
    }
}
