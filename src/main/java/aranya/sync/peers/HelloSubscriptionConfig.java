package aranya.sync.peers;

import java.time.Duration;
import java.util.Objects;

/**
 * How to subscribe to a peer's hello notifications (Aranya's {@code HelloSubscriptionConfig}).
 * Immutable; build it with {@link #builder()}.
 *
 * @param graphChangeDelay the least time between two notifications caused by changes to the
 *     peer's graph (the peer sends a change that falls inside it when it ends)
 * @param duration how long the subscription lasts
 * @param scheduleDelay how often the peer also announces its head when nothing changed
 *     ({@link Duration#ZERO}: never)
 */
public record HelloSubscriptionConfig(Duration graphChangeDelay, Duration duration, Duration scheduleDelay) {
    /** The longest subscription accepted, as for sync intervals. */
    public static final Duration MAX_DURATION = SyncPeerConfig.MAX_INTERVAL;

    /** Checks that each duration is in range and the duration positive. */
    public HelloSubscriptionConfig {
        requireInRange(graphChangeDelay, "graphChangeDelay");
        requireInRange(duration, "duration");
        requireInRange(scheduleDelay, "scheduleDelay");
        if (duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("duration must be positive and at most " + MAX_DURATION.toDays() + " days, got " + duration);
        }
    }

    /** {@return a builder with Aranya's defaults: 100 ms change delay, one year, a hello every 10 s} */
    public static Builder builder() {
        return new Builder();
    }

    private static void requireInRange(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(name + " must be between 0 and " + MAX_DURATION.toDays() + " days, got " + d);
        }
    }

    /** Builds a {@link HelloSubscriptionConfig}; {@link #build()} validates. */
    public static final class Builder {
        private Duration graphChangeDelay = Duration.ofMillis(100);
        private Duration duration = MAX_DURATION;
        private Duration scheduleDelay = Duration.ofSeconds(10);

        private Builder() {}

        /**
         * The least time between two hellos caused by changes.
         *
         * @param delay the delay, default 100 ms
         * @return this builder
         */
        public Builder graphChangeDelay(Duration delay) {
            this.graphChangeDelay = delay;
            return this;
        }

        /**
         * How long the subscription lasts.
         *
         * @param duration positive, at most {@link #MAX_DURATION}; default one year
         * @return this builder
         */
        public Builder duration(Duration duration) {
            this.duration = duration;
            return this;
        }

        /**
         * How often the peer announces its head when nothing changed.
         *
         * @param delay the interval, default 10 s; zero for never
         * @return this builder
         */
        public Builder scheduleDelay(Duration delay) {
            this.scheduleDelay = delay;
            return this;
        }

        /** {@return the configuration} */
        public HelloSubscriptionConfig build() {
            return new HelloSubscriptionConfig(graphChangeDelay, duration, scheduleDelay);
        }
    }
}
