package aranya.sync.graph;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A device's Ed25519 (RFC 8032) signing key, which authors commands.
 *
 * <p>Signing and verification use Bouncy Castle's RFC 8032 implementation: on this project's
 * 2-core machines it verifies about 16,000 signatures/s per core against about 2,100/s for the
 * JDK 25 "Ed25519" provider (jmh SignatureBenchmark), and verification bounds how fast a peer
 * can catch up. The signatures are standard Ed25519; a test checks them with the JDK verifier.
 */
public final class DeviceKey {
    static final int PUBLIC_KEY_LENGTH = Ed25519.PUBLIC_KEY_SIZE;
    static final int SIGNATURE_LENGTH = Ed25519.SIGNATURE_SIZE;
    /** Length of {@link #encoded()}. */
    public static final int ENCODED_LENGTH = Ed25519.SECRET_KEY_SIZE;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secretKey;
    private final byte[] rawPublicKey;
    private final KeyId keyId;

    private DeviceKey(byte[] secretKey) {
        this.secretKey = secretKey;
        this.rawPublicKey = new byte[PUBLIC_KEY_LENGTH];
        Ed25519.generatePublicKey(secretKey, 0, rawPublicKey, 0);
        this.keyId = KeyId.ofPublicKey(rawPublicKey);
    }

    /** {@return a fresh random key} */
    public static DeviceKey generate() {
        byte[] secret = new byte[ENCODED_LENGTH];
        RANDOM.nextBytes(secret);
        return new DeviceKey(secret);
    }

    /**
     * Restores a key from {@link #encoded()}.
     *
     * @param encoded the 32 bytes from {@link #encoded()}
     * @return the key
     */
    public static DeviceKey fromEncoded(byte[] encoded) {
        if (encoded.length != ENCODED_LENGTH) {
            throw new IllegalArgumentException("an encoded device key is " + ENCODED_LENGTH + " bytes, got " + encoded.length);
        }
        return new DeviceKey(encoded.clone());
    }

    /** {@return the 32-byte RFC 8032 private key (seed): keep it secret} */
    public byte[] encoded() {
        return secretKey.clone();
    }

    /** {@return the raw 32-byte Ed25519 public key} */
    public byte[] publicKey() {
        return rawPublicKey.clone();
    }

    /** {@return the id of this key's public key} */
    public KeyId keyId() {
        return keyId;
    }

    byte[] sign(byte[] message) {
        byte[] signature = new byte[SIGNATURE_LENGTH];
        Ed25519.sign(secretKey, 0, rawPublicKey, 0, message, 0, message.length, signature, 0);
        return signature;
    }

    /** Whether signature is a valid Ed25519 signature of message under the raw public key. */
    static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
        if (rawPublicKey.length != PUBLIC_KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        return Ed25519.verify(signature, 0, rawPublicKey, 0, message, 0, message.length);
    }

    @Override
    public String toString() {
        return "DeviceKey[" + keyId + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceKey k && Arrays.equals(rawPublicKey, k.rawPublicKey);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode();
    }
}
