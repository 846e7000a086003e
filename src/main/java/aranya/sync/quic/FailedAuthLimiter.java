package aranya.sync.quic;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts failed team authentications per remote IP over a sliding window; an IP with
 * {@code limit} failures inside the window is refused at once, before the server spends a
 * challenge on it. At most {@link #MAX_TRACKED} addresses are tracked, so a flood from many
 * addresses cannot grow it without bound: past that, idle entries are dropped first, then all.
 */
final class FailedAuthLimiter {
    static final int MAX_TRACKED = 10_000;

    private final int limit;
    private final long windowNanos;
    private final LongSupplier clock;
    private final Map<InetAddress, Deque<Long>> failures = new ConcurrentHashMap<>();

    FailedAuthLimiter(int limit, Duration window) {
        this(limit, window, System::nanoTime);
    }

    /** With a clock in nanoseconds, for tests that move time by hand. */
    FailedAuthLimiter(int limit, Duration window, LongSupplier clock) {
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.clock = clock;
    }

    /** Whether address has used up its failures for now. */
    boolean isLimited(InetAddress address) {
        long now = clock.getAsLong();
        Deque<Long> times = failures.computeIfPresent(address, (a, t) -> prune(t, now));
        return times != null && times.size() >= limit;
    }

    /** Records one failure of address. */
    void recordFailure(InetAddress address) {
        long now = clock.getAsLong();
        if (failures.size() >= MAX_TRACKED && !failures.containsKey(address)) {
            evict(now);
        }
        failures.compute(address, (a, times) -> {
            Deque<Long> kept = times == null ? new ArrayDeque<>() : prune(times, now);
            kept.addLast(now);
            while (kept.size() > limit) {
                kept.removeFirst();
            }
            return kept;
        });
    }

    /** How many addresses are tracked now. */
    int trackedAddresses() {
        return failures.size();
    }

    /** Drops failures older than the window; null (remove the entry) if none is left. */
    private Deque<Long> prune(Deque<Long> times, long now) {
        while (!times.isEmpty() && now - times.peekFirst() >= windowNanos) {
            times.removeFirst();
        }
        return times.isEmpty() ? null : times;
    }

    private void evict(long now) {
        failures.keySet().forEach(address -> failures.computeIfPresent(address, (a, t) -> prune(t, now)));
        if (failures.size() >= MAX_TRACKED) {
            failures.clear();
        }
    }
}
