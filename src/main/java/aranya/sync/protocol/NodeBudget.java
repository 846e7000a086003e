package aranya.sync.protocol;

/**
 * What all peers together may make a serving node hold, whatever each of them does: bytes of
 * peer data in flight, connections and concurrent sessions, each over the whole node, with a
 * smaller share for one peer (a remote IP address) so that one member cannot take every slot.
 * Past a limit the node pushes back instead of failing: a session waits (unread, so QUIC flow
 * control holds the peer's data at the peer) until a slot or bytes come free or its deadline
 * passes. Only a connection over a connection limit is refused, and only the peer that holds
 * too many. Built with {@link #builder()}; the builder documents each default.
 *
 * @param peerDataBytes bytes of peer data in flight on the node: half for what served sessions
 *     hold (frames being read, received commands until committed, responses being built and
 *     sent), half for what QUIC may buffer unread, spread over {@code maxConnections}
 *     connections (each connection's receive window is at most its share)
 * @param maxConnections connections the node serves at once
 * @param maxConnectionsPerPeer connections one remote address may hold
 * @param maxSessions streams the node serves at once
 * @param maxSessionsPerTeam streams of one team the node serves at once
 * @param maxSessionsPerPeer streams of one remote address the node serves at once
 */
public record NodeBudget(
        long peerDataBytes,
        int maxConnections,
        int maxConnectionsPerPeer,
        int maxSessions,
        int maxSessionsPerTeam,
        int maxSessionsPerPeer) {

    /** The least peerDataBytes: one peer's share of the session half holds a largest response being built. */
    public static final long MIN_PEER_DATA_BYTES = 4 << 20;

    /** Validates every field as the builder does; prefer {@link #builder()}. */
    public NodeBudget {
        if (peerDataBytes < MIN_PEER_DATA_BYTES) {
            throw new IllegalArgumentException("peerDataBytes must be >= " + MIN_PEER_DATA_BYTES + ", got " + peerDataBytes);
        }
        requireAtLeastOne(maxConnections, "maxConnections");
        requireAtLeastOne(maxConnectionsPerPeer, "maxConnectionsPerPeer");
        requireAtLeastOne(maxSessions, "maxSessions");
        requireAtLeastOne(maxSessionsPerTeam, "maxSessionsPerTeam");
        requireAtLeastOne(maxSessionsPerPeer, "maxSessionsPerPeer");
    }

    /** {@return a builder with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the defaults: {@code builder().build()}} */
    public static NodeBudget defaults() {
        return builder().build();
    }

    /** {@return what served sessions may hold at once, in bytes: half of {@link #peerDataBytes}} */
    public long sessionBytes() {
        return peerDataBytes / 2;
    }

    /** {@return what one peer's served sessions may hold at once: a quarter of {@link #sessionBytes()}} */
    public long sessionBytesPerPeer() {
        return sessionBytes() / 4;
    }

    /**
     * {@return the largest receive window of one served connection: its share of the other
     * half of {@link #peerDataBytes}}
     */
    public long connectionWindow() {
        return peerDataBytes / 2 / maxConnections;
    }

    private static void requireAtLeastOne(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /** Builds a {@link NodeBudget}; every setter validates its argument. */
    public static final class Builder {
        private long peerDataBytes = 64L << 20;
        private int maxConnections = 32;
        private int maxConnectionsPerPeer = 16;
        private int maxSessions = 256;
        private int maxSessionsPerTeam = 128;
        private int maxSessionsPerPeer = 32;

        private Builder() {}

        /**
         * Default 64 MiB: 32 MiB for served sessions (8 MiB of it for one peer) and 32 MiB of
         * QUIC receive windows (1 MiB per connection at 32 connections); at least 4 MiB.
         *
         * @param value the bytes, at least 4 MiB
         * @return this builder
         */
        public Builder peerDataBytes(long value) {
            if (value < MIN_PEER_DATA_BYTES) {
                throw new IllegalArgumentException("peerDataBytes must be >= " + MIN_PEER_DATA_BYTES + ", got " + value);
            }
            peerDataBytes = value;
            return this;
        }

        /**
         * Default 32 connections on the node, of which 16 from one remote address.
         *
         * @param total connections served at once on the node
         * @param perPeer of which from one remote address
         * @return this builder
         */
        public Builder maxConnections(int total, int perPeer) {
            requireAtLeastOne(total, "maxConnections");
            requireAtLeastOne(perPeer, "maxConnectionsPerPeer");
            maxConnections = total;
            maxConnectionsPerPeer = perPeer;
            return this;
        }

        /**
         * Default 256 streams served at once on the node, 128 of one team, 32 of one remote address.
         *
         * @param total streams served at once on the node
         * @param perTeam of which of one team
         * @param perPeer of which from one remote address
         * @return this builder
         */
        public Builder maxSessions(int total, int perTeam, int perPeer) {
            requireAtLeastOne(total, "maxSessions");
            requireAtLeastOne(perTeam, "maxSessionsPerTeam");
            requireAtLeastOne(perPeer, "maxSessionsPerPeer");
            maxSessions = total;
            maxSessionsPerTeam = perTeam;
            maxSessionsPerPeer = perPeer;
            return this;
        }

        /** {@return the budget} */
        public NodeBudget build() {
            return new NodeBudget(peerDataBytes, maxConnections, maxConnectionsPerPeer, maxSessions, maxSessionsPerTeam,
                    maxSessionsPerPeer);
        }
    }
}
