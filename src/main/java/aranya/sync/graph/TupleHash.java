package aranya.sync.graph;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Domain-separated SHA-256 over a tuple of byte strings:
 * {@code SHA-256(enc(domain) || enc(x1) || ... || enc(xn))} with
 * {@code enc(s) = u32 big-endian length(s) || s}. The length prefixes make the encoding of a
 * tuple unambiguous, which is what Aranya's NIST SP 800-185 TupleHash provides; the bytes
 * differ from Aranya's (no OIDs, byte lengths), as documented in docs/command-format.md.
 */
final class TupleHash {
    private TupleHash() {}

    static byte[] hash(String domain, byte[]... parts) {
        MessageDigest sha = sha256();
        update(sha, domain.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (byte[] part : parts) {
            update(sha, part);
        }
        return sha.digest();
    }

    private static void update(MessageDigest sha, byte[] part) {
        sha.update(ByteBuffer.allocate(4).putInt(part.length).array());
        sha.update(part);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
