package aranya.sync.quic;

import aranya.sync.protocol.NodeBudget;
import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the QUIC transport, shared by {@link SyncListener} and {@link SyncConnector}.
 * Built with {@link #builder()}; the builder documents each default.
 *
 * @param connectTimeout how long a client waits for the QUIC handshake
 * @param idleTimeout how long a sync session may go without progress (a whole message, or
 *     {@value #PROGRESS_BYTES} bytes of one, received or handed to QUIC for sending); past it
 *     the stream is aborted and the blocked call fails with {@link aranya.sync.SyncError#TIMEOUT}
 * @param maxSessionTime an optional cap on a whole session however it progresses, counted
 *     from opening (or accepting) its stream; empty for none
 * @param authTimeout the bound on one team-authentication exchange
 * @param connectionIdleTimeout QUIC idle timeout of the connections a listener accepts (a
 *     connector's own is twice keepAliveInterval, see there); the effective value is the
 *     smaller of both peers'
 * @param keepAliveInterval how often a client's pooled connection to a peer it keeps alive
 *     (scheduled or subscribed) sends a QUIC PING, so a NAT keeps its mapping; whole seconds.
 *     kwik pings at half the connection's idle timeout, so a connector asks for an idle
 *     timeout of twice this. {@link Duration#ZERO} turns keep-alives off (the connector then
 *     uses connectionIdleTimeout)
 * @param firstResponseTimeout how long a session on a reused pooled connection may wait for
 *     the peer's first message before the path is taken for dead (a NAT rebinding, say) and
 *     the session is retried once on a fresh connection
 * @param maxMessageSize the largest message (frame body) sent or accepted
 * @param streamReceiveWindow flow-control window of each stream, in bytes
 * @param connectionReceiveWindow flow-control window of a server-side connection, in bytes;
 *     a kwik client always uses ten times its stream window
 * @param maxPeerStreams how many streams a peer may have open on one connection at once
 * @param kickInterval how often each stream's send side is kicked past kwik's lost send
 *     wake-up ({@link StreamKicker}); {@link Duration#ZERO} turns the workaround off (only for
 *     reproducing the stall by hand)
 * @param failedAuthLimit failed team authentications from one remote IP within
 *     failedAuthWindow after which that IP is refused until the window has passed
 * @param failedAuthWindow the window of failedAuthLimit
 * @param budget what all peers together may make a listener hold ({@link NodeBudget}): its
 *     connection and session limits, and the share of its byte budget that caps each served
 *     connection's receive windows (below streamReceiveWindow and connectionReceiveWindow if
 *     those are larger)
 */
public record TransportConfig(
        Duration connectTimeout,
        Duration idleTimeout,
        Optional<Duration> maxSessionTime,
        Duration authTimeout,
        Duration connectionIdleTimeout,
        Duration keepAliveInterval,
        Duration firstResponseTimeout,
        int maxMessageSize,
        long streamReceiveWindow,
        long connectionReceiveWindow,
        int maxPeerStreams,
        Duration kickInterval,
        int failedAuthLimit,
        Duration failedAuthWindow,
        NodeBudget budget) {

    /** kwik refuses stream windows below this (its minimum receive buffer). */
    static final long MIN_WINDOW = 5 * 1024;

    /**
     * Bytes of one message that count as progress of a session before the message is whole:
     * a large message on a slow path keeps its session alive while it moves, and a peer that
     * trickles a few bytes per idle timeout does not.
     */
    public static final int PROGRESS_BYTES = 16 * 1024;

    /** Validates every field as the builder does; prefer {@link #builder()}. */
    public TransportConfig {
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxSessionTime, "maxSessionTime").ifPresent(cap -> requirePositive(cap, "maxSessionTime"));
        requirePositive(authTimeout, "authTimeout");
        requireConnectionIdleTimeout(connectionIdleTimeout);
        requireKeepAliveInterval(keepAliveInterval);
        requirePositive(firstResponseTimeout, "firstResponseTimeout");
        if (maxMessageSize < 1) {
            throw new IllegalArgumentException("maxMessageSize must be >= 1, got " + maxMessageSize);
        }
        if (streamReceiveWindow < MIN_WINDOW) {
            throw new IllegalArgumentException("streamReceiveWindow must be >= " + MIN_WINDOW + ", got " + streamReceiveWindow);
        }
        if (connectionReceiveWindow < streamReceiveWindow) {
            throw new IllegalArgumentException("connectionReceiveWindow (" + connectionReceiveWindow
                    + ") must be >= streamReceiveWindow (" + streamReceiveWindow + ")");
        }
        if (maxPeerStreams < 1) {
            throw new IllegalArgumentException("maxPeerStreams must be >= 1, got " + maxPeerStreams);
        }
        Objects.requireNonNull(kickInterval, "kickInterval");
        if (kickInterval.isNegative()) {
            throw new IllegalArgumentException("kickInterval must be >= 0, got " + kickInterval);
        }
        if (failedAuthLimit < 1) {
            throw new IllegalArgumentException("failedAuthLimit must be >= 1, got " + failedAuthLimit);
        }
        requirePositive(failedAuthWindow, "failedAuthWindow");
        Objects.requireNonNull(budget, "budget");
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: {@code builder().build()}. */
    public static TransportConfig defaults() {
        return builder().build();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .connectTimeout(connectTimeout)
                .idleTimeout(idleTimeout)
                .maxSessionTime(maxSessionTime)
                .authTimeout(authTimeout)
                .connectionIdleTimeout(connectionIdleTimeout)
                .keepAliveInterval(keepAliveInterval)
                .firstResponseTimeout(firstResponseTimeout)
                .maxMessageSize(maxMessageSize)
                .streamReceiveWindow(streamReceiveWindow)
                .connectionReceiveWindow(connectionReceiveWindow)
                .maxPeerStreams(maxPeerStreams)
                .kickInterval(kickInterval)
                .failedAuthLimit(failedAuthLimit, failedAuthWindow)
                .budget(budget);
    }

    /** Whether blocked writes are kicked (see {@link #kickInterval}). */
    boolean kickEnabled() {
        return !kickInterval.isZero();
    }

    /** The QUIC idle timeout a connector asks for: twice the keep-alive interval, so kwik pings at that interval. */
    Duration clientConnectionIdleTimeout() {
        return keepAliveInterval.isZero() ? connectionIdleTimeout : keepAliveInterval.multipliedBy(2);
    }

    private static void requireConnectionIdleTimeout(Duration value) {
        requirePositive(value, "connectionIdleTimeout");
        if (value.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectionIdleTimeout must fit in an int of milliseconds, got " + value);
        }
    }

    private static void requireKeepAliveInterval(Duration value) {
        Objects.requireNonNull(value, "keepAliveInterval");
        if (value.isNegative() || value.getNano() != 0 || value.getSeconds() > Integer.MAX_VALUE / 2000) {
            throw new IllegalArgumentException("keepAliveInterval must be whole seconds >= 0 (kwik pings in whole seconds), got " + value);
        }
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    /** Builds a {@link TransportConfig}; every setter validates its argument. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Optional<Duration> maxSessionTime = Optional.empty();
        private Duration authTimeout = Duration.ofSeconds(5);
        private Duration connectionIdleTimeout = Duration.ofSeconds(30);
        private Duration keepAliveInterval = Duration.ofSeconds(10);
        private Duration firstResponseTimeout = Duration.ofSeconds(5);
        private int maxMessageSize = Limits.MAX_SYNC_MESSAGE_SIZE;
        private long streamReceiveWindow = 16L << 20;
        private long connectionReceiveWindow = 64L << 20;
        private int maxPeerStreams = 1000;
        private Duration kickInterval = Duration.ofMillis(10);
        private int failedAuthLimit = 10;
        private Duration failedAuthWindow = Duration.ofMinutes(1);
        private NodeBudget budget = NodeBudget.defaults();

        private Builder() {}

        /** Default 5 s. */
        public Builder connectTimeout(Duration value) {
            requirePositive(value, "connectTimeout");
            connectTimeout = value;
            return this;
        }

        /** Default 30 s: a session fails with TIMEOUT after this long without progress. */
        public Builder idleTimeout(Duration value) {
            requirePositive(value, "idleTimeout");
            idleTimeout = value;
            return this;
        }

        /** Default none: a session may run as long as it progresses. */
        public Builder maxSessionTime(Optional<Duration> value) {
            Objects.requireNonNull(value, "maxSessionTime").ifPresent(cap -> requirePositive(cap, "maxSessionTime"));
            maxSessionTime = value;
            return this;
        }

        /** Default 5 s. */
        public Builder authTimeout(Duration value) {
            requirePositive(value, "authTimeout");
            authTimeout = value;
            return this;
        }

        /** Default 30 s; at most Integer.MAX_VALUE ms. */
        public Builder connectionIdleTimeout(Duration value) {
            requireConnectionIdleTimeout(value);
            connectionIdleTimeout = value;
            return this;
        }

        /**
         * Default 10 s, below the 15 s some NATs keep an idle UDP mapping (30 s is common);
         * whole seconds; {@link Duration#ZERO} for none.
         */
        public Builder keepAliveInterval(Duration value) {
            requireKeepAliveInterval(value);
            keepAliveInterval = value;
            return this;
        }

        /** Default 5 s: a dead path on a reused connection is found in seconds, well inside the idle timeout. */
        public Builder firstResponseTimeout(Duration value) {
            requirePositive(value, "firstResponseTimeout");
            firstResponseTimeout = value;
            return this;
        }

        /** Default {@link Limits#MAX_SYNC_MESSAGE_SIZE}. */
        public Builder maxMessageSize(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxMessageSize must be >= 1, got " + value);
            }
            maxMessageSize = value;
            return this;
        }

        /** Default 16 MiB; at least 5 KiB. */
        public Builder streamReceiveWindow(long value) {
            if (value < MIN_WINDOW) {
                throw new IllegalArgumentException("streamReceiveWindow must be >= " + MIN_WINDOW + ", got " + value);
            }
            streamReceiveWindow = value;
            return this;
        }

        /** Default 64 MiB; at least the stream window (checked by {@link #build()}). */
        public Builder connectionReceiveWindow(long value) {
            if (value < MIN_WINDOW) {
                throw new IllegalArgumentException("connectionReceiveWindow must be >= " + MIN_WINDOW + ", got " + value);
            }
            connectionReceiveWindow = value;
            return this;
        }

        /** Default 1000. */
        public Builder maxPeerStreams(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxPeerStreams must be >= 1, got " + value);
            }
            maxPeerStreams = value;
            return this;
        }

        /**
         * Default 10 ms: a stalled tail waits up to one interval, and at 100 ms bidirectional
         * sessions averaged 124 ms against 59 ms at 10 ms (TransportBenchmark).
         * {@link Duration#ZERO} turns the stall workaround off.
         */
        public Builder kickInterval(Duration value) {
            Objects.requireNonNull(value, "kickInterval");
            if (value.isNegative()) {
                throw new IllegalArgumentException("kickInterval must be >= 0, got " + value);
            }
            kickInterval = value;
            return this;
        }

        /** Default 10 failures per remote IP per minute. */
        public Builder failedAuthLimit(int failures, Duration window) {
            if (failures < 1) {
                throw new IllegalArgumentException("failedAuthLimit must be >= 1, got " + failures);
            }
            requirePositive(window, "failedAuthWindow");
            failedAuthLimit = failures;
            failedAuthWindow = window;
            return this;
        }

        /** Default {@link NodeBudget#defaults()}. */
        public Builder budget(NodeBudget value) {
            budget = Objects.requireNonNull(value, "budget");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException if the connection window is smaller than the stream window
         */
        public TransportConfig build() {
            return new TransportConfig(connectTimeout, idleTimeout, maxSessionTime, authTimeout, connectionIdleTimeout,
                    keepAliveInterval, firstResponseTimeout, maxMessageSize,
                    streamReceiveWindow, connectionReceiveWindow, maxPeerStreams, kickInterval, failedAuthLimit,
                    failedAuthWindow, budget);
        }
    }
}
