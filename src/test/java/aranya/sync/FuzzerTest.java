package aranya.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer's oracle catches each kind of misbehaviour, shown on decoders with a planted bug
 * of that kind. Each decoder reads a length-prefixed byte string: a u32 big-endian length,
 * then that many bytes, refusing (its typed error) when fewer remain.
 */
class FuzzerTest {
    private static final int INPUTS = 3_000;
    private static final List<byte[]> SEEDS = List.of(new byte[] {0, 0, 0, 2, 'h', 'i'}, new byte[] {0, 0, 0, 0});

    @Test
    void anUntypedExceptionIsAFindingThatNamesTheInput() {
        // The bug: the length is checked against the input, not against what is left after the prefix.
        Fuzzer.Target trustsTheLength = input -> {
            ByteBuffer in = ByteBuffer.wrap(input);
            if (input.length < 4) {
                return Fuzzer.Outcome.REFUSED;
            }
            int length = in.getInt();
            if (length < 0 || length > input.length) {
                return Fuzzer.Outcome.REFUSED;
            }
            in.get(new byte[length]);
            return Fuzzer.Outcome.DECODED;
        };
        assertThatThrownBy(() -> new Fuzzer("planted", 1, SEEDS).run(trustsTheLength, INPUTS))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("planted, seed 1")
                .hasMessageContaining("input (")
                .hasRootCauseInstanceOf(java.nio.BufferUnderflowException.class);
    }

    @Test
    void anAllocationSizedByAClaimIsAFindingEvenWhenTheInputIsRefused() {
        // The bug: a buffer of the claimed size (capped below what would exhaust the heap) before the check.
        Fuzzer.Target allocatesTheClaim = input -> {
            if (input.length < 4) {
                return Fuzzer.Outcome.REFUSED;
            }
            int length = ByteBuffer.wrap(input).getInt();
            byte[] body = new byte[Math.min(Math.max(length, 0), 64 << 20)];
            return body.length > input.length - 4 ? Fuzzer.Outcome.REFUSED : Fuzzer.Outcome.DECODED;
        };
        assertThatThrownBy(() -> new Fuzzer("planted", 2, SEEDS).run(allocatesTheClaim, INPUTS))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("allocated");
    }

    @Test
    void anOutOfMemoryErrorIsAFinding() {
        Fuzzer.Target allocatesTheClaim = input -> {
            if (input.length < 4) {
                return Fuzzer.Outcome.REFUSED;
            }
            int length = ByteBuffer.wrap(input).getInt();
            byte[] body = new byte[length == Integer.MAX_VALUE ? length : 0]; // beyond the VM's array limit
            return body.length > input.length - 4 ? Fuzzer.Outcome.REFUSED : Fuzzer.Outcome.DECODED;
        };
        assertThatThrownBy(() -> new Fuzzer("planted", 3, SEEDS).run(allocatesTheClaim, INPUTS))
                .isInstanceOf(AssertionError.class)
                .hasRootCauseInstanceOf(OutOfMemoryError.class);
    }

    @Test
    void anInputThatNeverReturnsIsAHang() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        // The bug: an input longer than it says waits for more input that never comes.
        Fuzzer.Target waitsForMore = input -> {
            if (input.length < 4) {
                return Fuzzer.Outcome.REFUSED;
            }
            int length = ByteBuffer.wrap(input).getInt();
            if (length < input.length - 4) {
                release.await(1, TimeUnit.MINUTES);
            }
            return length == input.length - 4 ? Fuzzer.Outcome.DECODED : Fuzzer.Outcome.REFUSED;
        };
        try {
            assertThatThrownBy(() -> new Fuzzer("planted", 4, SEEDS).hangLimit(Duration.ofSeconds(1)).run(waitsForMore, INPUTS))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("has run for over")
                    .satisfies(hang -> assertThat(hang.getStackTrace()) // where the decoder hangs
                            .anyMatch(frame -> frame.getClassName().startsWith(FuzzerTest.class.getName())));
        } finally {
            release.countDown();
        }
    }

    @Test
    void theSameSeedReplaysTheSameInputs() {
        Fuzzer first = new Fuzzer("replay", 5, SEEDS);
        Fuzzer second = new Fuzzer("replay", 5, SEEDS);
        for (int i = 0; i < 100; i++) {
            assertThat(first.mutant()).isEqualTo(second.mutant());
        }
    }
}
