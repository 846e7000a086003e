package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.Fuzzer;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing ({@link Fuzzer}) of the team-authentication messages, the first bytes a
 * server reads from a peer it knows nothing about. Inputs: {@code -Daranya.fuzz.inputs=N}.
 */
class AuthCodecFuzzTest {
    private final long seed = Fuzzer.seed();
    private final Random random = new Random(seed);

    @Test
    void authMessages() {
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            seeds.add(AuthCodec.encode(new AuthMessage.Hello(GraphId.of(bytes(32).toByteArray()), bytes(TeamAuth.NONCE_LENGTH))));
            seeds.add(AuthCodec.encode(new AuthMessage.Challenge(bytes(TeamAuth.NONCE_LENGTH), bytes(Hkdf.HASH_LENGTH))));
            seeds.add(AuthCodec.encode(new AuthMessage.Proof(bytes(Hkdf.HASH_LENGTH))));
        }
        seeds.add(AuthCodec.encode(new AuthMessage.Result(true)));
        seeds.add(AuthCodec.encode(new AuthMessage.Result(false)));
        Fuzzer.Report report = new Fuzzer("auth messages", seed, seeds).run(AuthCodecFuzzTest::decodesToItself);
        System.out.println(report);
        assertThat(report.refused()).isPositive();
        assertThat(report.decoded()).isPositive();
    }

    @Test
    void aNonceClaimingMoreThanTheHeapIsRefusedWithoutAllocating() throws Throwable {
        String team = "20" + "11".repeat(32);
        for (String claim : List.of("8080808008", "ffffffff0f", "ffffffffffffffffff01")) {
            for (String input : List.of("8000" + team + claim + "aa", "8001" + claim + "aa", "8002" + claim)) {
                Fuzzer.assertRefusedWithoutAllocatingTheClaim(AuthCodecFuzzTest::decodesToItself, HexFormat.of().parseHex(input));
            }
        }
    }

    /** The input is refused as malformed, or decodes to a message whose encoding is the input. */
    private static Fuzzer.Outcome decodesToItself(byte[] input) throws SyncException {
        AuthMessage message;
        try {
            message = AuthCodec.decode(input);
        } catch (SyncException e) {
            if (e.error() != SyncError.MALFORMED) {
                throw e;
            }
            return Fuzzer.Outcome.REFUSED;
        }
        byte[] reencoded = AuthCodec.encode(message);
        if (!Arrays.equals(reencoded, input)) {
            throw new AssertionError("decoded as " + message + ", which re-encodes to " + HexFormat.of().formatHex(reencoded));
        }
        return Fuzzer.Outcome.DECODED;
    }

    private Bytes bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return Bytes.of(bytes);
    }
}
