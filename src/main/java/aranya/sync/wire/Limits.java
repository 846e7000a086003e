package aranya.sync.wire;

import java.util.List;
import java.util.Objects;

/**
 * Size limits of the sync protocol. The values are Aranya's defaults (not its
 * {@code low-mem-usage} profile), from {@code crates/aranya-runtime/src/sync/mod.rs} and
 * {@code storage/mod.rs} at aranya-core v0.22; a peer that exceeds them would also be refused
 * by the Rust implementation.
 */
public final class Limits {
    /** Most addresses in the sample of a {@code SyncRequest} or {@code Subscribe}. */
    public static final int COMMAND_SAMPLE_MAX = 100;

    /** Most commands in one {@code SyncResponse}. */
    public static final int COMMAND_RESPONSE_MAX = 100;

    /** Most response indexes in a {@code RequestMissing}. */
    public static final int REQUEST_MISSING_MAX = 100;

    /**
     * Most peer-cache entries (commands known to be held by one peer, per graph): as many as a
     * sample holds, so that with many concurrent heads the requester knows which of its heads
     * the peer holds.
     */
    public static final int PEER_HEAD_MAX = 100;

    /**
     * Largest sync message: 1 KiB of headroom for the message fields plus {@link #COMMAND_RESPONSE_MAX} commands of
     * Aranya's nominal {@code MAX_COMMAND_LENGTH} (2048 bytes), i.e. 205 824 bytes. Aranya
     * sizes every sync buffer with it, and its QUIC transport refuses longer frames.
     */
    public static final int MAX_SYNC_MESSAGE_SIZE = 1024 + 2048 * COMMAND_RESPONSE_MAX;

    private Limits() {}

    /**
     * An immutable copy of a message's list, refused if it has more than max elements, so an
     * oversized message can never be built (and so never sent). Nulls are refused too.
     */
    static <T> List<T> boundedCopy(List<T> list, int max, String what) {
        Objects.requireNonNull(list, what);
        if (list.size() > max) {
            throw new IllegalArgumentException(what + " has " + list.size() + " elements, at most " + max + " allowed");
        }
        return List.copyOf(list);
    }
}
