package aranya.sync.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bin/bench report}: a short run of the whole suite, printed as one table in which each
 * figure stands beside its reference from the same run, with the performance target it must
 * meet. The benchmarks run through JMH's Runner API, so their results come back as objects;
 * JMH's own output goes to a log file.
 *
 * <p>Short means one fork and a few iterations each, so the errors are wide; the table is for
 * seeing where each figure stands, {@code bin/bench} with JMH's defaults is for publishing.
 * The responder on a 1M-command graph runs only with {@code --with-1m}: building that graph
 * the first time takes minutes (it is cached in jmh/target/bench-graphs afterwards), and
 * reopening it costs a few seconds more per run.
 */
public final class Report {
    /** JMH's output, one file per batch (each Runner call starts its output file afresh). */
    private static final String LOG_DIR = "target/bench-report";
    private static final String WITH_1M = "--with-1m";
    /** Shown for a figure whose benchmark threw; the log says why. */
    private static final String FAILED = "failed (see log)";

    private static final String TRANSPORT = TransportBenchmark.class.getName();
    private static final String TLS = TlsTcpBenchmark.class.getName();
    private static final String PROTOCOL = ProtocolBenchmark.class.getName();
    private static final String GRAPH = GraphBenchmark.class.getName();
    private static final String SIGNATURE = SignatureBenchmark.class.getName();

    /**
     * One Runner call: the benchmarks it includes (a regular expression on their full names)
     * and how many iterations; timed iterations last {@link #WARMUP_TIME} and
     * {@link #MEASUREMENT_TIME}, the other benchmarks' iterations are one invocation each.
     */
    private record Batch(String include, int warmups, int measurements, boolean timed) {
        static Batch timed(String include) {
            return new Batch(include, 2, 8, true);
        }

        static Batch singleShots(String include, int warmups, int measurements) {
            return new Batch(include, warmups, measurements, false);
        }
    }

    private static final TimeValue WARMUP_TIME = TimeValue.seconds(1);
    private static final TimeValue MEASUREMENT_TIME = TimeValue.seconds(1);
    private static final Duration LOCK_WAIT = Duration.ofMinutes(15);

    private Report() {}

    public static void main(String[] args) throws IOException, RunnerException {
        boolean with1m = false;
        for (String arg : args) {
            if (arg.equals(WITH_1M)) {
                with1m = true;
            } else {
                System.err.println("usage: bin/bench report [" + WITH_1M + "]");
                System.exit(2);
            }
        }
        List<String> sizes = with1m ? List.of("1000", "100000", "1000000") : List.of("1000", "100000");
        List<Batch> batches = List.of(
                Batch.timed(name(TRANSPORT, "bulkFrames|echo100Bytes|inSyncCheck")),
                Batch.timed(name(TLS, "bulk|echo100Bytes")),
                Batch.singleShots(name(TRANSPORT, "pullCommands"), 1, 5),
                Batch.singleShots(name(TRANSPORT, "bidirectionalConvergence|twoUnidirectionalSyncs"), 10, 30),
                Batch.timed(name(PROTOCOL, "respondTenCommands|encodeResponse|decodeResponse")),
                Batch.singleShots(name(PROTOCOL, "catchUpInMemory"), 1, 5),
                Batch.timed(name(GRAPH, "ingestVerified")),
                Batch.timed(name(SIGNATURE, "verifyBouncyCastle|verifyBouncyCastleTwoThreads")));

        Files.createDirectories(Path.of(LOG_DIR));
        long start = System.nanoTime();
        Results results = new Results();
        for (int i = 0; i < batches.size(); i++) {
            Batch batch = batches.get(i);
            System.err.printf("[%d/%d] %s%n", i + 1, batches.size(), batch.include());
            OptionsBuilder options = new OptionsBuilder();
            options.include(batch.include())
                    .forks(1)
                    .warmupIterations(batch.warmups())
                    .measurementIterations(batch.measurements())
                    .param("size", sizes.toArray(String[]::new))
                    .shouldFailOnError(false)
                    .output(LOG_DIR + "/batch-" + (i + 1) + ".log");
            if (batch.timed()) {
                options.warmupTime(WARMUP_TIME).measurementTime(MEASUREMENT_TIME);
            }
            results.addAll(runWhenFree(new Runner(options.build())));
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;

        System.out.println(new Table(results, with1m).render());
        System.out.printf("%nOne fork and few iterations each, %d min %d s; ± is JMH's 99.9%% interval. JMH's output: jmh/%s/%n",
                seconds / 60, seconds % 60, LOG_DIR);
    }

    /**
     * Runs runner once no other JMH run holds JMH's machine-wide lock, waiting up to
     * {@link #LOCK_WAIT}: on a shared machine another run may start between two batches.
     */
    private static Collection<RunResult> runWhenFree(Runner runner) throws RunnerException {
        long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            try {
                return runner.run();
            } catch (RunnerException e) {
                if (!String.valueOf(e.getMessage()).contains("JMH lock") || System.nanoTime() > deadline) {
                    throw e;
                }
                System.err.println("another JMH run holds its lock; waiting");
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A regular expression for the named benchmark methods of a class, and nothing else. */
    private static String name(String benchmarkClass, String methods) {
        return "^" + benchmarkClass.replace(".", "\\.") + "\\.(" + methods + ")$";
    }

    /** The results of every batch, by method name and size parameter. */
    private static final class Results {
        private final Map<String, RunResult> byName = new HashMap<>();

        void addAll(Collection<RunResult> results) {
            for (RunResult r : results) {
                String size = r.getParams().getParam("size");
                byName.put(r.getParams().getBenchmark() + (size == null ? "" : "@" + size), r);
            }
        }

        Optional<RunResult> get(String benchmarkClass, String method) {
            return Optional.ofNullable(byName.get(benchmarkClass + "." + method));
        }

        Optional<RunResult> get(String benchmarkClass, String method, String size) {
            return get(benchmarkClass, method + "@" + size);
        }
    }

    /** A measured figure: the score in the unit the table shows, and its error (NaN if JMH gave none). */
    private record Figure(double value, double error) {
        /** The benchmark's score as is. */
        static Figure score(Result<?> r) {
            return new Figure(r.getScore(), r.getScoreError());
        }

        /** The reciprocal of a time per operation, scaled: time per command to commands/s. */
        static Figure rate(Result<?> r, double scale) {
            double value = scale / r.getScore();
            return new Figure(value, value * r.getScoreError() / r.getScore());
        }

        /** The median of a sampled benchmark. */
        static Figure median(Result<?> r) {
            return new Figure(r.getStatistics().getPercentile(50), Double.NaN);
        }

        Figure times(double factor) {
            return new Figure(value * factor, error * factor);
        }

        String format(String pattern, String unit) {
            String v = String.format(pattern, value);
            return Double.isFinite(error) ? v + " ± " + String.format(pattern, error) + " " + unit : v + " " + unit;
        }
    }

    /** The table: each row a figure, its reference from the same run, their ratio and the target. */
    private static final class Table {
        private final Results results;
        private final boolean with1m;
        private final List<String[]> rows = new ArrayList<>();

        Table(Results results, boolean with1m) {
            this.results = results;
            this.with1m = with1m;
        }

        String render() {
            Optional<Figure> rawKwik = score(TRANSPORT, "bulkFrames");
            Optional<Figure> kwikEcho = median(TRANSPORT, "echo100Bytes");
            Optional<RunResult> pull = results.get(TRANSPORT, "pullCommands");
            Optional<Figure> pullRate = pull.map(r -> Figure.rate(r.getPrimaryResult(), 1e6));
            Optional<Double> bytesPerCommand = pull.map(r -> r.getSecondaryResults().get("pullBytes").getScore()
                    / r.getSecondaryResults().get("pullCommands").getScore());
            Optional<Figure> verifyTwo = score(SIGNATURE, "verifyBouncyCastleTwoThreads");
            Optional<Figure> respond1k = responder("1000");

            row("kwik, one stream: 32 MiB in 64 KiB frames", rawKwik, MEGABYTES, score(TLS, "bulk"), "JDK TLS 1.3/TCP", null);
            row("kwik, 100-byte request/response on a new stream, p50", kwikEcho, MICROS, median(TLS, "echo100Bytes"),
                    "JDK TLS 1.3/TCP, p50", null);
            row("sync pull of 100k commands in one session", pullRate.flatMap(rate -> bytesPerCommand.map(rate::times)), MEGABYTES,
                    rawKwik, "kwik, one stream", new Target(true, 0.70));
            Optional<Figure> byTransport = rawKwik.flatMap(raw -> bytesPerCommand.map(size -> new Figure(raw.value() / size, Double.NaN)));
            Optional<Figure> limit = byTransport.flatMap(t -> verifyTwo.map(v -> new Figure(Math.min(t.value(), v.value()), Double.NaN)));
            String limitLabel = String.format("min(kwik ÷ %s B/command = %s, verify on 2 threads = %s)",
                    bytesPerCommand.map(b -> String.format("%.0f", b)).orElse("?"),
                    byTransport.map(PER_SECOND::format).orElse("?"), verifyTwo.map(PER_SECOND::format).orElse("?"));
            row("end-to-end catch-up (that pull), commands/s", pullRate, PER_SECOND, limit, limitLabel, new Target(true, 0.80));
            row("bidirectional convergence, 100 commands each way, new connection", score(TRANSPORT, "bidirectionalConvergence"),
                    MILLIS, score(TRANSPORT, "twoUnidirectionalSyncs"), "two one-way syncs, new connections", new Target(false, 0.55));
            row("in-sync check on a pooled connection, p50", median(TRANSPORT, "inSyncCheck"), MICROS, kwikEcho,
                    "kwik 100-byte request/response, p50", new Target(false, 1.5));
            row("responder, 10-command difference, 100k graph", responder("100000"), MICROS, respond1k, "1k graph", null);
            if (with1m) {
                row("responder, 10-command difference, 1M graph", responder("1000000"), MICROS, respond1k, "1k graph",
                        new Target(false, 2.0));
            } else {
                rows.add(new String[] {"responder, 10-command difference, 1M graph", "not run (" + WITH_1M + ")", "", "",
                    new Target(false, 2.0).toString(), ""});
            }
            row("codec: encode a full response (100 commands)", score(PROTOCOL, "encodeResponse"), PER_SECOND);
            row("codec: decode a full response", score(PROTOCOL, "decodeResponse"), PER_SECOND);
            row("ingest with Ed25519 verification, commands/s", score(GRAPH, "ingestVerified"), PER_SECOND);
            row("Ed25519 verify (Bouncy Castle), two threads", verifyTwo, PER_SECOND, score(SIGNATURE, "verifyBouncyCastle"),
                    "one thread", null);
            row("catch-up of 100k commands, in-memory streams, commands/s",
                    results.get(PROTOCOL, "catchUpInMemory").map(r -> Figure.rate(r.getPrimaryResult(), 1e6)), PER_SECOND);

            StringBuilder out = new StringBuilder();
            out.append("| figure | value | reference (same run) | ratio | target | met? |\n");
            out.append("|---|---|---|---|---|---|\n");
            for (String[] row : rows) {
                out.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            return out.toString();
        }

        private Optional<Figure> score(String benchmarkClass, String method) {
            return results.get(benchmarkClass, method).map(r -> Figure.score(r.getPrimaryResult()));
        }

        private Optional<Figure> median(String benchmarkClass, String method) {
            return results.get(benchmarkClass, method).map(r -> Figure.median(r.getPrimaryResult()));
        }

        private Optional<Figure> responder(String size) {
            return results.get(PROTOCOL, "respondTenCommands", size).map(r -> Figure.score(r.getPrimaryResult()));
        }

        /** A row without a reference. */
        private void row(String what, Optional<Figure> value, Unit unit) {
            rows.add(new String[] {what, value.map(unit::format).orElse(FAILED), "", "", "", ""});
        }

        /**
         * A row with its reference; the ratio is value / reference, checked against target
         * unless that is null.
         */
        private void row(String what, Optional<Figure> value, Unit unit, Optional<Figure> reference, String referenceLabel,
                Target target) {
            Optional<Double> ratio = value.flatMap(v -> reference.map(r -> v.value() / r.value()));
            rows.add(new String[] {
                what,
                value.map(unit::format).orElse(FAILED),
                referenceLabel + ": " + reference.map(unit::format).orElse(FAILED),
                ratio.map(q -> String.format("%.2f×", q)).orElse(""),
                target == null ? "" : target.toString(),
                target == null ? "" : ratio.map(q -> target.met(q) ? "yes" : "NO").orElse("?")
            });
        }
    }

    /** A bound on a ratio: at least (atLeast) or at most the bound. */
    private record Target(boolean atLeast, double bound) {
        boolean met(double ratio) {
            return atLeast ? ratio >= bound : ratio <= bound;
        }

        @Override
        public String toString() {
            return (atLeast ? "≥ " : "≤ ") + BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString() + "×";
        }
    }

    /** How a figure is printed. */
    private interface Unit {
        String format(Figure f);
    }

    private static final Unit MEGABYTES = f -> f.times(1e-6).format("%,.1f", "MB/s");
    private static final Unit MICROS = f -> f.format("%,.0f", "µs");
    private static final Unit MILLIS = f -> f.format("%,.1f", "ms");
    private static final Unit PER_SECOND = f -> f.format("%,.0f", "/s");
}
