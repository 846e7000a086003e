package aranya.sync;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A mutation fuzzer for decoders of untrusted bytes. It starts from valid inputs (golden
 * vectors, valid random messages), mutates them (bit flips, byte edits, inserts, deletes,
 * length fields set to huge values, splices of two inputs, truncations, duplicated chunks;
 * up to four stacked), and hands each result to a {@link Target}. Inputs that decode join the
 * corpus, so later mutations start from them too.
 *
 * <p>The oracle, for every input: the target returns (it decoded a value and checked that the
 * value re-encodes consistently, or the decoder refused the input with its typed error);
 * anything else it throws, including {@link OutOfMemoryError}, is a finding. Besides that, no
 * input may make the decoding thread allocate more than {@link #allocationBound} (a decoder
 * that allocates what a length field claims would), nor run for longer than {@link #HANG}.
 * A finding fails with the seed, how many inputs came before it, and the input in hex.
 *
 * <p>Inputs per target: {@code -Daranya.fuzz.inputs=N} (default {@value #DEFAULT_INPUTS});
 * seed: {@code -Daranya.test.seed=N} (default: fresh each run), which replays a run exactly.
 */
public final class Fuzzer {
    /** What a target did with an input that it did not find fault with. */
    public enum Outcome {
        /** Decoded to a value that re-encodes consistently. */
        DECODED,
        /** Refused with the decoder's typed error. */
        REFUSED
    }

    /** A decoder with its oracle. Throw (an {@link AssertionError}, say) when the decoder misbehaves. */
    @FunctionalInterface
    public interface Target {
        Outcome run(byte[] input) throws Exception;
    }

    /** How a fuzz run went. */
    public record Report(String target, long seed, long inputs, long decoded, long refused, long maxAllocated, Duration elapsed) {
        @Override
        public String toString() {
            return String.format("fuzz %s: %,d inputs (%,d decoded, %,d refused), most allocated by one input %,d B, %.1f s, seed %d",
                    target, inputs, decoded, refused, maxAllocated, elapsed.toMillis() / 1000.0, seed);
        }
    }

    static final int DEFAULT_INPUTS = 6_000;
    /** Inputs per target in this run. */
    public static final int INPUTS = Integer.getInteger("aranya.fuzz.inputs", DEFAULT_INPUTS);
    /** No decoder takes more than microseconds; an input that takes this long hangs. */
    private static final Duration HANG = Duration.ofSeconds(10);
    private static final int CORPUS_MAX = 4_000;
    /** Inputs that decode join the corpus up to this size, so stacked inserts cannot grow it without end. */
    private static final int CORPUS_ENTRY_MAX = 64 * 1024;
    private static final int MAX_STACKED = 4;
    /** Lengths a hostile peer might claim, as postcard varints: 2^31, 2^32-1, 2^63, 2^64-1, 2^128-1, 2^31-1. */
    private static final byte[][] HUGE_VARINTS = {
        hex("8080808008"), hex("ffffffff0f"), hex("80808080808080808001"), hex("ffffffffffffffffff01"),
        hex("ffffffffffffffffffffffffffffffffffff03"), hex("ffffffff07"),
    };
    /** The same as fixed-width big-endian u32s, as frames and the storage format have them. */
    private static final byte[][] HUGE_U32S = {hex("7fffffff"), hex("80000000"), hex("ffffffff"), hex("7ffffff0")};
    private static final int[] INTERESTING_BYTES = {0x00, 0x01, 0x20, 0x7f, 0x80, 0xff};
    private static final MethodHandle ALLOCATED_BYTES = allocatedBytesOfThisThread();

    private final String name;
    private final long seed;
    private final Random random;
    private final List<byte[]> corpus;
    private final AtomicLong done = new AtomicLong();
    private Duration hangLimit = HANG;
    private volatile byte[] current = new byte[0];

    /**
     * A fuzzer for the target called name, starting from seeds (each must decode); seed is
     * its random seed, also the one the seeds were made with (see {@link #seed()}).
     */
    public Fuzzer(String name, long seed, List<byte[]> seeds) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("a fuzzer needs seeds");
        }
        this.name = name;
        this.seed = seed;
        this.random = new Random(seed);
        this.corpus = new ArrayList<>(seeds);
    }

    /** Makes an input that runs for longer than limit a hang (default {@link #HANG}). */
    Fuzzer hangLimit(Duration limit) {
        this.hangLimit = limit;
        return this;
    }

    /** The random seed of this run: {@code -Daranya.test.seed}, else a fresh one. */
    public static long seed() {
        return Long.getLong("aranya.test.seed", System.nanoTime());
    }

    /**
     * Runs target on input, which it must refuse, and fails if that made this thread allocate
     * more than {@link #allocationBound}: for inputs that claim lengths far beyond their size.
     */
    public static void assertRefusedWithoutAllocatingTheClaim(Target target, byte[] input) throws Throwable {
        Measured measured = measure(target, input);
        if (measured.outcome() != Outcome.REFUSED || measured.allocated() > allocationBound(input.length)) {
            throw new AssertionError(measured.outcome() + " after allocating " + measured.allocated() + " bytes (at most "
                    + allocationBound(input.length) + " allowed): " + HexFormat.of().formatHex(input));
        }
    }

    /**
     * The most one input may make a decoder allocate: what it needs to hold the input's
     * values several times over, plus room for class loading; far less than any claimed length
     * this fuzzer writes (2^31 and up).
     */
    static long allocationBound(int inputLength) {
        return (1L << 20) + 64L * inputLength;
    }

    /** Checks every seed, then fuzzes target with {@link #INPUTS} mutated inputs. */
    public Report run(Target target) {
        return run(target, INPUTS);
    }

    /** Checks every seed, then fuzzes target with the given number of mutated inputs. */
    public Report run(Target target, int inputs) {
        AtomicReference<Throwable> finding = new AtomicReference<>();
        long[] counts = new long[3]; // decoded, refused, most allocated; written by the worker, read after join
        long start = System.nanoTime();
        Thread worker = Thread.ofPlatform().daemon().name("fuzz-" + name).start(() -> {
            try {
                // The seeds also warm up: classes they load are not charged to the first mutants.
                for (byte[] seedInput : List.copyOf(corpus)) {
                    current = seedInput;
                    if (target.run(seedInput.clone()) != Outcome.DECODED) {
                        throw new AssertionError("seed does not decode");
                    }
                }
                for (int i = 0; i < inputs; i++) {
                    byte[] input = mutant();
                    if (check(target, input, counts) == Outcome.DECODED && corpus.size() < CORPUS_MAX && input.length <= CORPUS_ENTRY_MAX) {
                        corpus.add(input);
                    }
                    done.incrementAndGet();
                }
            } catch (Throwable t) {
                finding.set(t);
            }
        });
        awaitWithoutHang(worker);
        Throwable failure = finding.get();
        if (failure != null) {
            throw new AssertionError(name + ", seed " + seed + ", after " + done.get() + " inputs: " + failure
                    + "\n  input (" + current.length + " B): " + HexFormat.of().formatHex(current), failure);
        }
        return new Report(name, seed, inputs, counts[0], counts[1], counts[2], Duration.ofNanos(System.nanoTime() - start));
    }

    private Outcome check(Target target, byte[] input, long[] counts) throws Throwable {
        current = input;
        Measured measured = measure(target, input);
        if (measured.allocated() > allocationBound(input.length)) {
            throw new AssertionError("a " + input.length + "-byte input allocated " + measured.allocated() + " bytes");
        }
        counts[measured.outcome() == Outcome.DECODED ? 0 : 1]++;
        counts[2] = Math.max(counts[2], measured.allocated());
        return measured.outcome();
    }

    private record Measured(Outcome outcome, long allocated) {}

    /** Runs target on a copy of input (so a decoder that wrote into it could not fool the oracle), counting what it allocates. */
    private static Measured measure(Target target, byte[] input) throws Throwable {
        byte[] copy = input.clone();
        long before = (long) ALLOCATED_BYTES.invokeExact();
        Outcome outcome = target.run(copy);
        return new Measured(outcome, (long) ALLOCATED_BYTES.invokeExact() - before);
    }

    /** Waits for the worker; fails with the input at hand if it makes no progress for the hang limit. */
    private void awaitWithoutHang(Thread worker) {
        long seen = -1;
        long lastProgress = System.nanoTime();
        try {
            while (!worker.join(Duration.ofMillis(200))) {
                long now = System.nanoTime();
                long count = done.get();
                if (count != seen) {
                    seen = count;
                    lastProgress = now;
                } else if (now - lastProgress > hangLimit.toNanos()) {
                    AssertionError hang = new AssertionError(name + ", seed " + seed + ": one input has run for over " + hangLimit
                            + "\n  input (" + current.length + " B): " + HexFormat.of().formatHex(current));
                    hang.setStackTrace(worker.getStackTrace());
                    throw hang;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while fuzzing " + name, e);
        }
    }

    /** A corpus entry with one to {@link #MAX_STACKED} mutations applied. */
    byte[] mutant() {
        byte[] input = pick();
        int mutations = 1 + random.nextInt(MAX_STACKED);
        for (int i = 0; i < mutations; i++) {
            input = mutate(input);
        }
        return input;
    }

    private byte[] pick() {
        return corpus.get(random.nextInt(corpus.size()));
    }

    private byte[] mutate(byte[] input) {
        if (input.length == 0) {
            return random.nextBoolean() ? pick() : randomBytes(1 + random.nextInt(16));
        }
        int at = random.nextInt(input.length);
        return switch (random.nextInt(11)) {
            case 0 -> {
                byte[] out = input.clone();
                out[at] ^= (byte) (1 << random.nextInt(8));
                yield out;
            }
            case 1 -> {
                byte[] out = input.clone();
                out[at] = (byte) (random.nextBoolean() ? INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)] : random.nextInt(256));
                yield out;
            }
            case 2 -> {
                byte[] out = input.clone();
                out[at] += (byte) (random.nextInt(33) - 16); // a length or count a little off
                yield out;
            }
            case 3 -> insert(input, at, randomBytes(1 + random.nextInt(8)));
            case 4 -> delete(input, at, 1 + random.nextInt(Math.min(8, input.length - at)));
            case 5 -> overwrite(input, at, HUGE_VARINTS[random.nextInt(HUGE_VARINTS.length)]);
            case 6 -> overwrite(input, at, HUGE_U32S[random.nextInt(HUGE_U32S.length)]);
            case 7 -> insert(input, at, HUGE_VARINTS[random.nextInt(HUGE_VARINTS.length)]);
            case 8 -> {
                byte[] other = pick();
                int cut = random.nextInt(other.length + 1);
                byte[] out = Arrays.copyOf(input, at + other.length - cut);
                System.arraycopy(other, cut, out, at, other.length - cut);
                yield out;
            }
            case 9 -> Arrays.copyOf(input, at);
            default -> {
                int length = 1 + random.nextInt(Math.min(64, input.length - at));
                yield insert(input, random.nextInt(input.length + 1), Arrays.copyOfRange(input, at, at + length));
            }
        };
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] insert(byte[] input, int at, byte[] inserted) {
        byte[] out = new byte[input.length + inserted.length];
        System.arraycopy(input, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(input, at, out, at + inserted.length, input.length - at);
        return out;
    }

    private static byte[] delete(byte[] input, int at, int length) {
        byte[] out = new byte[input.length - length];
        System.arraycopy(input, 0, out, 0, at);
        System.arraycopy(input, at + length, out, at, input.length - at - length);
        return out;
    }

    /** Writes replacement over input from at, growing the input if it runs past the end. */
    private static byte[] overwrite(byte[] input, int at, byte[] replacement) {
        byte[] out = Arrays.copyOf(input, Math.max(input.length, at + replacement.length));
        System.arraycopy(replacement, 0, out, at, replacement.length);
        return out;
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /**
     * {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}, looked up
     * reflectively because the module under test does not read jdk.management (reflection
     * needs no readability edge).
     */
    private static MethodHandle allocatedBytesOfThisThread() {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> beanType = Class.forName("com.sun.management.ThreadMXBean");
            return MethodHandles.publicLookup()
                    .findVirtual(beanType, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                    .bindTo(bean);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this JVM cannot count allocated bytes per thread", e);
        }
    }
}
