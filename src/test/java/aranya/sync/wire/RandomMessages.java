package aranya.sync.wire;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Random messages of every variant, for property tests. Numbers favour the edges of their
 * ranges (0, varint byte boundaries, the maximum), where codec bugs live.
 */
final class RandomMessages {
    /** SyncType variants, counting each request, response and hello kind: 4 Poll, Subscribe, Unsubscribe, 4 Push, 3 Hello. */
    static final int SYNC_TYPE_VARIANTS = 13;
    static final int RESPONSE_VARIANTS = 4;
    static final int ENVELOPE_VARIANTS = 2;

    private final Random random;

    RandomMessages(Random random) {
        this.random = random;
    }

    SyncType syncType(int variant) {
        return switch (variant) {
            case 0, 1, 2, 3 -> new SyncType.Poll(request(variant), random.nextBoolean());
            case 4 -> new SyncType.Subscribe(u64(), u64(), addresses(), graphId());
            case 5 -> new SyncType.Unsubscribe(graphId());
            case 6, 7, 8, 9 -> new SyncType.Push(response(variant - 6), graphId());
            case 10, 11, 12 -> new SyncType.Hello(hello(variant - 10));
            default -> throw new IllegalArgumentException("no SyncType variant " + variant);
        };
    }

    SyncType anySyncType() {
        return syncType(random.nextInt(SYNC_TYPE_VARIANTS));
    }

    SyncRequestMessage request(int variant) {
        return switch (variant) {
            case 0 -> new SyncRequestMessage.SyncRequest(sessionId(), graphId(), u64(), addresses());
            case 1 -> new SyncRequestMessage.RequestMissing(sessionId(), list(Limits.REQUEST_MISSING_MAX, this::u64));
            case 2 -> new SyncRequestMessage.SyncResume(sessionId(), u64(), u64());
            case 3 -> new SyncRequestMessage.EndSession(sessionId());
            default -> throw new IllegalArgumentException("no SyncRequestMessage variant " + variant);
        };
    }

    SyncResponseMessage response(int variant) {
        return switch (variant) {
            case 0 -> new SyncResponseMessage.SyncResponse(sessionId(), u64(), list(Limits.COMMAND_RESPONSE_MAX, this::command));
            case 1 -> new SyncResponseMessage.SyncEnd(sessionId(), u64(), random.nextBoolean());
            case 2 -> new SyncResponseMessage.Offer(sessionId(), commandId());
            case 3 -> new SyncResponseMessage.EndSession(sessionId());
            default -> throw new IllegalArgumentException("no SyncResponseMessage variant " + variant);
        };
    }

    SyncResponseMessage anyResponse() {
        return response(random.nextInt(RESPONSE_VARIANTS));
    }

    SyncHelloType hello(int variant) {
        return switch (variant) {
            case 0 -> new SyncHelloType.Subscribe(graphId(), duration(), duration(), duration());
            case 1 -> new SyncHelloType.Unsubscribe(graphId());
            case 2 -> new SyncHelloType.Hello(graphId(), address());
            default -> throw new IllegalArgumentException("no SyncHelloType variant " + variant);
        };
    }

    ResponseEnvelope envelope(int variant) {
        return switch (variant) {
            case 0 -> new ResponseEnvelope.Ok(bytes(200));
            case 1 -> new ResponseEnvelope.Err(string());
            default -> throw new IllegalArgumentException("no ResponseEnvelope variant " + variant);
        };
    }

    ResponseEnvelope anyEnvelope() {
        return envelope(random.nextInt(ENVELOPE_VARIANTS));
    }

    /** Any u64, as a long read unsigned; half the time a value at a varint boundary. */
    long u64() {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> 127 + random.nextInt(2);
            case 2 -> -1L;
            case 3 -> 1L << random.nextInt(64);
            case 4 -> (1L << random.nextInt(64)) - 1;
            default -> random.nextLong();
        };
    }

    SessionId sessionId() {
        return new SessionId(u64(), u64());
    }

    GraphId graphId() {
        return GraphId.of(id32());
    }

    CommandId commandId() {
        return CommandId.of(id32());
    }

    /** An address whose max cut leaves room for a child (the largest is 2^63 - 2). */
    Address address() {
        long maxCut = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(200);
            case 1 -> Long.MAX_VALUE - 1;
            default -> random.nextLong(Long.MAX_VALUE);
        };
        return new Address(commandId(), maxCut);
    }

    List<Address> addresses() {
        return list(Limits.COMMAND_SAMPLE_MAX, this::address);
    }

    Command command() {
        Prior parent = switch (random.nextInt(3)) {
            case 0 -> Prior.NONE;
            case 1 -> new Prior.Single(address());
            default -> new Prior.Merge(address(), address());
        };
        Priority priority = switch (random.nextInt(4)) {
            case 0 -> Priority.MERGE;
            case 1 -> Priority.basic(u64() >>> 32);
            case 2 -> Priority.FINALIZE;
            default -> Priority.INIT;
        };
        return new Command(commandId(), priority, parent, bytes(20), bytes(300));
    }

    Duration duration() {
        long seconds = random.nextBoolean() ? random.nextInt(100_000) : u64() & Long.MAX_VALUE;
        return Duration.ofSeconds(seconds, random.nextInt(1_000_000_000));
    }

    /** Well-formed text (no unpaired surrogates), from ASCII to 4-byte UTF-8. */
    String string() {
        StringBuilder s = new StringBuilder();
        int length = random.nextInt(30);
        for (int i = 0; i < length; i++) {
            int codePoint;
            do {
                codePoint = switch (random.nextInt(4)) {
                    case 0 -> 0x20 + random.nextInt(0x5f);
                    case 1 -> random.nextInt(0x800);
                    case 2 -> random.nextInt(0x10000);
                    default -> random.nextInt(Character.MAX_CODE_POINT + 1);
                };
            } while (Character.getType(codePoint) == Character.SURROGATE);
            s.appendCodePoint(codePoint);
        }
        return s.toString();
    }

    Bytes bytes(int maxLength) {
        byte[] bytes = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        return Bytes.of(bytes);
    }

    /** A list that is usually short, sometimes empty, sometimes exactly at its limit. */
    private <T> List<T> list(int max, Supplier<T> element) {
        int size = switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> max;
            default -> random.nextInt(4);
        };
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.get());
        }
        return list;
    }

    private byte[] id32() {
        byte[] id = new byte[32];
        random.nextBytes(id);
        return id;
    }
}
