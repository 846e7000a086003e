package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a long sync on standard error: new commands so far and commands/s, at most one
 * line a second. Shown with {@code --progress}, which the command line adds by itself when
 * standard error is a terminal ({@link #onTerminal}).
 */
final class Progress implements AutoCloseable {
    private static final long EVERY_NANOS = 1_000_000_000L;

    private final AutoCloseable listener;

    private Progress(AutoCloseable listener) {
        this.listener = listener;
    }

    /** Reports new commands of team as they are stored, if --progress was given. */
    static Progress start(Invocation call, SyncNode node, GraphId team) throws SyncException {
        if (!call.args().flag("progress")) {
            return new Progress(() -> { });
        }
        PrintStream err = call.err();
        long start = System.nanoTime();
        AtomicLong received = new AtomicLong();
        AtomicLong lastReport = new AtomicLong(start);
        return new Progress(node.onCommands(team, batch -> {
            long total = received.addAndGet(batch.size());
            long now = System.nanoTime();
            long last = lastReport.get();
            if (now - last >= EVERY_NANOS && lastReport.compareAndSet(last, now)) {
                err.printf("  ... %d new commands, %.0f commands/s%n", total, total * 1e9 / (now - start));
                err.flush();
            }
        }));
    }

    /**
     * Whether standard error is a terminal (Linux: /proc/self/fd/2 names a tty), so that
     * progress is shown without being asked for, and never into a file or pipe.
     */
    static boolean onTerminal() {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        listener.close();
    }
}
