package aranya.sync.quic;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869): extract a pseudorandom key from input keying material, then expand it. */
final class Hkdf {
    /** Bytes of one HMAC-SHA256 output. */
    static final int HASH_LENGTH = 32;
    private static final String HMAC = "HmacSHA256";

    private Hkdf() {}

    /** HKDF-Extract then HKDF-Expand: length bytes of output keying material. */
    static byte[] derive(byte[] inputKeyMaterial, byte[] salt, byte[] info, int length) {
        return expand(extract(salt, inputKeyMaterial), info, length);
    }

    /** HKDF-Extract: PRK = HMAC(salt, IKM); an empty salt means HashLen zero bytes (RFC 5869 §2.2). */
    static byte[] extract(byte[] salt, byte[] inputKeyMaterial) {
        return hmac(salt.length == 0 ? new byte[HASH_LENGTH] : salt, inputKeyMaterial);
    }

    /** HKDF-Expand: T(i) = HMAC(PRK, T(i-1) | info | i), concatenated and cut to length (at most 255 blocks). */
    static byte[] expand(byte[] pseudorandomKey, byte[] info, int length) {
        if (length < 0 || length > 255 * HASH_LENGTH) {
            throw new IllegalArgumentException("HKDF-SHA256 output is 0.." + 255 * HASH_LENGTH + " bytes, asked for " + length);
        }
        byte[] output = new byte[length];
        byte[] block = new byte[0];
        for (int i = 1, done = 0; done < length; i++) {
            Mac mac = mac(pseudorandomKey);
            mac.update(block);
            mac.update(info);
            mac.update((byte) i);
            block = mac.doFinal();
            int n = Math.min(block.length, length - done);
            System.arraycopy(block, 0, output, done, n);
            done += n;
        }
        return output;
    }

    /** HMAC-SHA256 of the concatenated parts under key. */
    static byte[] hmac(byte[] key, byte[]... parts) {
        Mac mac = mac(key);
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has " + HMAC, e);
        }
    }
}
