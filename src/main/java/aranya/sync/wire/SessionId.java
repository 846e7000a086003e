package aranya.sync.wire;

import java.security.SecureRandom;

/**
 * The id of one sync session: Aranya's {@code u128}, chosen at random by the requester and
 * echoed in every message of the session. On the wire it is a postcard varint of the
 * unsigned 128-bit value {@code high * 2^64 + low}; both halves are read as unsigned.
 *
 * @param high the most significant 64 bits
 * @param low the least significant 64 bits
 */
public record SessionId(long high, long low) {
    /**
     * A fresh random session id. Aranya builds it from 16 CSPRNG bytes; any 128 random bits
     * serve, since peers only compare it for equality.
     */
    public static SessionId random(SecureRandom random) {
        return new SessionId(random.nextLong(), random.nextLong());
    }

    /** The id as 32 lower-case hex digits, most significant first. */
    @Override
    public String toString() {
        return String.format("%016x%016x", high, low);
    }
}
