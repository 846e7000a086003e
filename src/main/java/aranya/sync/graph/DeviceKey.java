package aranya.sync.graph;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/** A device's Ed25519 signing key (JDK crypto), which authors commands. */
public final class DeviceKey {
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw 32-byte Ed25519 key. */
    private static final byte[] X509_ED25519_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    };
    static final int PUBLIC_KEY_LENGTH = 32;
    static final int SIGNATURE_LENGTH = 64;

    private final PrivateKey privateKey;
    private final byte[] rawPublicKey;
    private final KeyId keyId;

    private DeviceKey(PrivateKey privateKey, byte[] rawPublicKey) {
        this.privateKey = privateKey;
        this.rawPublicKey = rawPublicKey;
        this.keyId = KeyId.ofPublicKey(rawPublicKey);
    }

    /** A fresh random key. */
    public static DeviceKey generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new DeviceKey(pair.getPrivate(), rawPublicKey(pair.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides Ed25519", e);
        }
    }

    /** Restores a key from {@link #encoded()}. */
    public static DeviceKey fromEncoded(byte[] encoded) {
        if (encoded.length <= PUBLIC_KEY_LENGTH) {
            throw new IllegalArgumentException("encoded device key too short: " + encoded.length + " bytes");
        }
        try {
            byte[] pub = Arrays.copyOf(encoded, PUBLIC_KEY_LENGTH);
            byte[] pkcs8 = Arrays.copyOfRange(encoded, PUBLIC_KEY_LENGTH, encoded.length);
            PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            DeviceKey restored = new DeviceKey(key, pub);
            byte[] probe = restored.sign(new byte[] {1});
            if (!verify(pub, new byte[] {1}, probe)) {
                throw new IllegalArgumentException("encoded device key: public and private halves do not match");
            }
            return restored;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("encoded device key is not an Ed25519 key", e);
        }
    }

    /** Raw public key (32 bytes) followed by the PKCS#8 private key: keep it secret. */
    public byte[] encoded() {
        byte[] pkcs8 = privateKey.getEncoded();
        byte[] out = Arrays.copyOf(rawPublicKey, PUBLIC_KEY_LENGTH + pkcs8.length);
        System.arraycopy(pkcs8, 0, out, PUBLIC_KEY_LENGTH, pkcs8.length);
        return out;
    }

    /** The raw 32-byte Ed25519 public key. */
    public byte[] publicKey() {
        return rawPublicKey.clone();
    }

    public KeyId keyId() {
        return keyId;
    }

    byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** Whether signature is a valid Ed25519 signature of message under the raw public key. */
    static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
        if (rawPublicKey.length != PUBLIC_KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            byte[] der = Arrays.copyOf(X509_ED25519_PREFIX, X509_ED25519_PREFIX.length + PUBLIC_KEY_LENGTH);
            System.arraycopy(rawPublicKey, 0, der, X509_ED25519_PREFIX.length, PUBLIC_KEY_LENGTH);
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // A key that is not a point on the curve is just a bad signature from our point of view.
            return false;
        }
    }

    private static byte[] rawPublicKey(PublicKey key) {
        byte[] der = key.getEncoded();
        return Arrays.copyOfRange(der, der.length - PUBLIC_KEY_LENGTH, der.length);
    }

    @Override
    public String toString() {
        return "DeviceKey[" + keyId + "]";
    }
}
