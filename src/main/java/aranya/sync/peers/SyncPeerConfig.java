package aranya.sync.peers;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to sync with one peer (Aranya's {@code SyncPeerConfig}, with the {@code bidirectional}
 * flag of its bidirectional-sync proposal). Immutable; build it with {@link #builder()}.
 *
 * @param interval how often to sync periodically; empty for no periodic sync
 * @param syncNow whether to sync once right after the peer is added
 * @param bidirectional whether every sync with this peer is bidirectional: after the peer
 *     answers our request it sends its own on the same stream and we answer it
 */
public record SyncPeerConfig(Optional<Duration> interval, boolean syncNow, boolean bidirectional) {
    /** The longest periodic interval accepted (Aranya's {@code MAX_SYNC_INTERVAL}). */
    public static final Duration MAX_INTERVAL = Duration.ofDays(365);

    /** Checks that the interval, if any, is in range. */
    public SyncPeerConfig {
        Objects.requireNonNull(interval, "interval");
        interval.ifPresent(SyncPeerConfig::checkInterval);
    }

    /** {@return a builder with the defaults: no interval, syncNow true, bidirectional false} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.interval = interval.orElse(null);
        b.syncNow = syncNow;
        b.bidirectional = bidirectional;
        return b;
    }

    private static void checkInterval(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("sync interval must be positive, got " + d);
        }
        if (d.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("sync interval must be at most " + MAX_INTERVAL.toDays() + " days, got " + d);
        }
    }

    /** Builds a {@link SyncPeerConfig}; setters validate at once. */
    public static final class Builder {
        private Duration interval;
        private boolean syncNow = true;
        private boolean bidirectional;

        private Builder() {}

        /**
         * Sync periodically at this interval (positive, at most one year).
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder interval(Duration interval) {
            checkInterval(Objects.requireNonNull(interval, "interval"));
            this.interval = interval;
            return this;
        }

        /**
         * No periodic sync (the default).
         *
         * @return this builder
         */
        public Builder noInterval() {
            this.interval = null;
            return this;
        }

        /**
         * Whether to sync once as soon as the peer is added (default true).
         *
         * @param syncNow whether to sync at once
         * @return this builder
         */
        public Builder syncNow(boolean syncNow) {
            this.syncNow = syncNow;
            return this;
        }

        /**
         * Whether syncs with this peer are bidirectional (default false).
         *
         * @param bidirectional whether syncs are bidirectional
         * @return this builder
         */
        public Builder bidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return this;
        }

        /** {@return the configuration} */
        public SyncPeerConfig build() {
            return new SyncPeerConfig(Optional.ofNullable(interval), syncNow, bidirectional);
        }
    }
}
