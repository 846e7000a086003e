package aranya.sync;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the module logs (through {@link System.Logger}, which java.util.logging backs)
 * under one logger name, every level included, while open. Tests use it to check how often
 * and at which level something is logged.
 */
public final class LogRecords implements AutoCloseable {
    static {
        // The tests run inside the aranya.sync module, which logs through System.Logger and so
        // does not itself read java.logging.
        LogRecords.class.getModule().addReads(ModuleLayer.boot().findModule("java.logging").orElseThrow());
    }

    private final Logger logger; // held: java.util.logging keeps loggers only weakly
    private final Level previous;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler;

    /** Made by reflection (see collector), so that it is loaded only after the static block above has run. */
    private static final class Collector extends Handler {
        private final List<LogRecord> records;

        Collector(List<LogRecord> records) {
            this.records = records;
        }

        @Override
        public void publish(LogRecord r) {
            synchronized (records) {
                records.add(r);
                records.notifyAll();
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    private static Handler collector(List<LogRecord> records) {
        // Not "new Collector(...)": verifying this class would then load Collector, whose superclass
        // is not readable from the module until the static block has run.
        try {
            return (Handler) Class.forName(LogRecords.class.getName() + "$Collector").getDeclaredConstructor(List.class).newInstance(records);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private LogRecords(String name) {
        handler = collector(records);
        logger = Logger.getLogger(name);
        previous = logger.getLevel();
        handler.setLevel(Level.ALL);
        logger.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Captures the records of the logger named name and of those below it. */
    public static LogRecords of(String name) {
        return new LogRecords(name);
    }

    /** The records so far that match. */
    public List<LogRecord> matching(Predicate<LogRecord> filter) {
        return records.stream().filter(filter).toList();
    }

    /**
     * Waits until at least count records match, for at most timeout.
     *
     * @throws AssertionError if they did not come in time
     */
    public List<LogRecord> await(Predicate<LogRecord> filter, int count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (records) {
            while (matching(filter).size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " matching log records in " + timeout + ", got "
                            + matching(filter).stream().map(LogRecords::text).toList());
                }
                records.wait(Math.max(1, left / 1_000_000));
            }
            return matching(filter);
        }
    }

    /** A record's message with its parameters filled in. */
    public static String text(LogRecord r) {
        Object[] params = r.getParameters();
        return params == null || params.length == 0 ? r.getMessage() : java.text.MessageFormat.format(r.getMessage(), params);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previous);
    }
}
