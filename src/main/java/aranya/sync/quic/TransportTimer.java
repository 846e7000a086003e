package aranya.sync.quic;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The one timer thread of a listener or connector: it kicks streams' send sides
 * ({@link StreamKicker}) and fires session deadlines ({@link SessionDeadline}). Its
 * tasks only flag state and call kwik methods that do not block, so one daemon platform
 * thread serves every stream.
 */
final class TransportTimer implements AutoCloseable {
    private final ScheduledThreadPoolExecutor executor;
    private final LongAdder kicks = new LongAdder();

    TransportTimer(String name) {
        executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        // Most tasks are cancelled (a write that did not block, a session that ended in time); drop them at once.
        executor.setRemoveOnCancelPolicy(true);
    }

    /** A scheduled task that can be called off. */
    interface Task {
        /** Calls the task off; a run already in progress finishes. */
        void cancel();
    }

    /** Runs task once after delay; nothing once the timer is closed. */
    Task after(Duration delay, Runnable task) {
        return schedule(() -> executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
    }

    /** Runs task every period, first after one period, until cancelled; nothing once the timer is closed. */
    Task every(Duration period, Runnable task) {
        return schedule(() -> executor.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS));
    }

    /**
     * Schedules, unless the timer is closed: a stream still in use after its listener or
     * connector closed fails on its closed connection, so it needs no timer any more.
     */
    private static Task schedule(Supplier<ScheduledFuture<?>> scheduling) {
        try {
            ScheduledFuture<?> future = scheduling.get();
            return () -> future.cancel(false);
        } catch (RejectedExecutionException closed) {
            return () -> {};
        }
    }

    /** Counts one kick issued by the timer (a stream's send side lived through a whole kick interval). */
    void countKick() {
        kicks.increment();
    }

    /** Kicks fired so far. */
    long kicksFired() {
        return kicks.sum();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
