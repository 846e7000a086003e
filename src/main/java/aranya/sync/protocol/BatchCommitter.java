package aranya.sync.protocol;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.Graph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Commits received batches on a thread of its own, so the session reads and decodes the next
 * batch while this one is verified and written: transfer, signature checks and fsync overlap
 * instead of taking turns. Batches are committed in the order submitted; at most one waits
 * while one is being committed, which bounds memory to about three batches per session.
 *
 * <p>A failed batch stops the committer: its error is thrown by the next {@link #submit} or
 * by {@link #finish}, and nothing of it or of later batches is stored. Batches submitted
 * before a failure of the session itself are still committed by {@link #close}: they were
 * received whole, and losing them would only make the next sync fetch them again.
 */
final class BatchCommitter implements AutoCloseable {
    /** Queued by end(): compared by identity, so it must be a batch no caller can pass. */
    private static final Batch END = new Batch(new ArrayList<>(0), () -> {});

    /** A batch and what to run once it is done with (committed, failed, or skipped after a failure). */
    private record Batch(List<Command> commands, Runnable done) {}

    private final Graph graph;
    private final PeerCache cache;
    private final String peer;
    private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(1);
    /** Started with the first batch: a session with nothing to commit (an in-sync check) costs no thread. */
    private Thread thread;
    private volatile SyncException failure;
    private int added; // written by the committer thread, read after joining it
    private boolean ended;

    BatchCommitter(Graph graph, PeerCache cache, String peer) {
        this.graph = graph;
        this.cache = cache;
        this.peer = peer;
    }

    /** Queues batch for commit, waiting while one is queued already. */
    void submit(List<Command> batch) throws SyncException {
        submit(batch, () -> {});
    }

    /**
     * Queues batch for commit, waiting while one is queued already; done runs on the committer's
     * thread once the batch is done with (at once for an empty batch, or when a failure is thrown).
     */
    void submit(List<Command> batch, Runnable done) throws SyncException {
        if (failure != null || batch.isEmpty()) {
            done.run();
        }
        throwIfFailed();
        if (!batch.isEmpty()) {
            if (thread == null) {
                thread = Thread.ofVirtual().name("commit-" + peer).start(this::run);
            }
            put(new Batch(batch, done));
        }
    }

    /** Waits for every submitted batch to be committed; returns how many commands were new. */
    int finish() throws SyncException {
        end();
        throwIfFailed();
        return added;
    }

    /** Commits what was submitted (unless a batch failed), then stops. */
    @Override
    public void close() {
        end();
    }

    private void end() {
        if (!ended) {
            ended = true;
            if (thread == null) {
                return;
            }
            put(END);
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join(); // bounded: the committer drains the queue and stops at END
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void throwIfFailed() throws SyncException {
        SyncException f = failure;
        if (f != null) {
            throw new SyncException(f.error(), f.reason(), f);
        }
    }

    /**
     * Queues batch, waiting while the committer is busy. That wait is bounded by one commit, so
     * an interrupt (kwik can leave a stray one on a session thread) does not end it; it is
     * kept for the caller.
     */
    private void put(Batch batch) {
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(batch);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (true) {
            Batch batch;
            try {
                batch = queue.take();
            } catch (InterruptedException e) {
                return; // only end() stops us, and it waits for us
            }
            if (batch == END) {
                return;
            }
            try {
                if (failure == null) { // after a failed batch nothing more is stored; keep draining so submitters never block
                    added += graph.addCommands(batch.commands()).added();
                    rememberNewest(batch.commands());
                }
            } catch (SyncException e) {
                failure = e;
            } catch (RuntimeException | Error e) {
                // An Error (an OutOfMemoryError on a small heap) must end this session with its
                // cause, not kill the committer and leave the session waiting on a full queue.
                failure = new SyncException(SyncError.STORAGE, "committing commands from " + peer + " failed: " + e, e);
            } finally {
                batch.done().run();
            }
        }
    }

    /** Tells the peer cache the peer holds the batch's newest commands (those no other command of it names). */
    private void rememberNewest(List<Command> batch) {
        Set<CommandId> parents = new HashSet<>();
        for (Command c : batch) {
            for (Address p : c.parent().addresses()) {
                parents.add(p.id());
            }
        }
        cache.update(peer, graph, batch.stream().filter(c -> !parents.contains(c.id())).map(Command::address).toList());
    }
}
