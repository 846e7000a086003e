package aranya.sync.wire;

import aranya.sync.SyncException;
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

/**
 * Encodes and decodes sync messages in Aranya's wire format: postcard 1.x of the aranya-core
 * v0.22 types, laid out in docs/protocol.md. This is the only place that knows the variant indexes (wire tags).
 *
 * <p>Command bodies are not part of the postcard structure. A {@code SyncResponse} carries
 * one {@code CommandMeta} per command:
 * <pre>
 *   CommandMeta { id, priority: Priority, parent: Prior&lt;Address&gt;,
 *                 policy_length: u32, length: u32, max_cut: usize }
 * </pre>
 * and after the last postcard field of the whole message come, for each command in order, its
 * policy bytes ({@code policy_length}, 0 meaning none) and its payload bytes ({@code length}).
 * A decoded command's max cut is derived from its parents; a meta whose {@code max_cut}
 * disagrees is malformed, so the input's claim is never trusted.
 *
 * <p>Decoders take the whole message and reject trailing bytes. They throw only
 * {@link SyncException}, with {@link aranya.sync.SyncError#MALFORMED}.
 */
public final class MessageCodec {
    // SyncType
    private static final int POLL = 0;
    private static final int SUBSCRIBE = 1;
    private static final int UNSUBSCRIBE = 2;
    private static final int PUSH = 3;
    private static final int HELLO = 4;

    // SyncHelloType
    private static final int HELLO_SUBSCRIBE = 0;
    private static final int HELLO_UNSUBSCRIBE = 1;
    private static final int HELLO_HELLO = 2;

    // SyncRequestMessage
    private static final int SYNC_REQUEST = 0;
    private static final int REQUEST_MISSING = 1;
    private static final int SYNC_RESUME = 2;
    private static final int REQUEST_END_SESSION = 3;

    // SyncResponseMessage
    private static final int SYNC_RESPONSE = 0;
    private static final int SYNC_END = 1;
    private static final int OFFER = 2;
    private static final int RESPONSE_END_SESSION = 3;

    // Priority
    private static final int PRIORITY_MERGE = 0;
    private static final int PRIORITY_BASIC = 1;
    private static final int PRIORITY_FINALIZE = 2;
    private static final int PRIORITY_INIT = 3;

    // Prior<Address>
    private static final int PRIOR_NONE = 0;
    private static final int PRIOR_SINGLE = 1;
    private static final int PRIOR_MERGE = 2;

    // ResponseEnvelope (the daemon's SyncResponse)
    private static final int ENVELOPE_OK = 0;
    private static final int ENVELOPE_ERR = 1;

    private MessageCodec() {}

    // ---- SyncType ----------------------------------------------------------------------

    /** The bytes of a stream's first message, including pushed command bodies. */
    public static byte[] encode(SyncType message) {
        PostcardWriter w = new PostcardWriter();
        switch (message) {
            case SyncType.Poll(SyncRequestMessage request, boolean bidirectional) -> {
                w.writeVariantIndex(POLL);
                writeRequest(w, request);
                // The requester's address, QUIC's unit type, encodes to nothing.
                w.writeBool(bidirectional);
            }
            case SyncType.Subscribe(long remainOpen, long maxBytes, List<Address> commands, GraphId graphId) -> {
                w.writeVariantIndex(SUBSCRIBE);
                w.writeVarU64(remainOpen);
                w.writeVarU64(maxBytes);
                writeAddresses(w, commands);
                w.writeId(graphId);
            }
            case SyncType.Unsubscribe(GraphId graphId) -> {
                w.writeVariantIndex(UNSUBSCRIBE);
                w.writeId(graphId);
            }
            case SyncType.Push(SyncResponseMessage pushed, GraphId graphId) -> {
                w.writeVariantIndex(PUSH);
                writeResponseFields(w, pushed);
                w.writeId(graphId);
                writeBodies(w, pushed);
            }
            case SyncType.Hello(SyncHelloType hello) -> {
                w.writeVariantIndex(HELLO);
                writeHello(w, hello);
            }
        }
        return w.toByteArray();
    }

    /** Decodes a stream's first message from {@code length} bytes of buf at offset. */
    public static SyncType decodeSyncType(byte[] buf, int offset, int length) throws SyncException {
        PostcardReader r = new PostcardReader(buf, offset, length);
        SyncType message = readSyncType(r);
        r.expectEnd();
        return message;
    }

    private static SyncType readSyncType(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case POLL -> {
                SyncRequestMessage request = readRequest(r);
                // A v0.22 client sends no flag: the message ends right after the request.
                boolean bidirectional = r.remaining() > 0 && r.readBool();
                yield new SyncType.Poll(request, bidirectional);
            }
            case SUBSCRIBE -> new SyncType.Subscribe(
                    r.readVarU64(), r.readVarU64(), readAddresses(r, Limits.COMMAND_SAMPLE_MAX), r.readId(GraphId::of));
            case UNSUBSCRIBE -> new SyncType.Unsubscribe(r.readId(GraphId::of));
            case PUSH -> {
                ResponseAwaitingBodies pushed = readResponseFields(r);
                GraphId graphId = r.readId(GraphId::of);
                yield new SyncType.Push(pushed.readBodies(r), graphId);
            }
            case HELLO -> new SyncType.Hello(readHello(r));
            default -> throw unknownVariant("SyncType", tag, at);
        };
    }

    private static void writeHello(PostcardWriter w, SyncHelloType hello) {
        switch (hello) {
            case SyncHelloType.Subscribe(GraphId graphId, Duration graphChangeDelay, Duration duration, Duration scheduleDelay) -> {
                w.writeVariantIndex(HELLO_SUBSCRIBE);
                w.writeId(graphId);
                w.writeDuration(graphChangeDelay);
                w.writeDuration(duration);
                w.writeDuration(scheduleDelay);
            }
            case SyncHelloType.Unsubscribe(GraphId graphId) -> {
                w.writeVariantIndex(HELLO_UNSUBSCRIBE);
                w.writeId(graphId);
            }
            case SyncHelloType.Hello(GraphId graphId, Address head) -> {
                w.writeVariantIndex(HELLO_HELLO);
                w.writeId(graphId);
                writeAddress(w, head);
            }
        }
    }

    private static SyncHelloType readHello(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case HELLO_SUBSCRIBE -> new SyncHelloType.Subscribe(
                    r.readId(GraphId::of), r.readDuration(), r.readDuration(), r.readDuration());
            case HELLO_UNSUBSCRIBE -> new SyncHelloType.Unsubscribe(r.readId(GraphId::of));
            case HELLO_HELLO -> new SyncHelloType.Hello(r.readId(GraphId::of), readAddress(r));
            default -> throw unknownVariant("SyncHelloType", tag, at);
        };
    }

    private static void writeRequest(PostcardWriter w, SyncRequestMessage request) {
        switch (request) {
            case SyncRequestMessage.SyncRequest(SessionId sessionId, GraphId graphId, long maxBytes, List<Address> commands) -> {
                w.writeVariantIndex(SYNC_REQUEST);
                w.writeU128(sessionId);
                w.writeId(graphId);
                w.writeVarU64(maxBytes);
                writeAddresses(w, commands);
            }
            case SyncRequestMessage.RequestMissing(SessionId sessionId, List<Long> indexes) -> {
                w.writeVariantIndex(REQUEST_MISSING);
                w.writeU128(sessionId);
                w.writeSeqLength(indexes.size());
                for (long index : indexes) {
                    w.writeVarU64(index);
                }
            }
            case SyncRequestMessage.SyncResume(SessionId sessionId, long responseIndex, long maxBytes) -> {
                w.writeVariantIndex(SYNC_RESUME);
                w.writeU128(sessionId);
                w.writeVarU64(responseIndex);
                w.writeVarU64(maxBytes);
            }
            case SyncRequestMessage.EndSession(SessionId sessionId) -> {
                w.writeVariantIndex(REQUEST_END_SESSION);
                w.writeU128(sessionId);
            }
        }
    }

    private static SyncRequestMessage readRequest(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case SYNC_REQUEST -> new SyncRequestMessage.SyncRequest(
                    r.readU128(), r.readId(GraphId::of), r.readVarU64(), readAddresses(r, Limits.COMMAND_SAMPLE_MAX));
            case REQUEST_MISSING -> {
                SessionId sessionId = r.readU128();
                int count = r.readSeqLength(Limits.REQUEST_MISSING_MAX);
                List<Long> indexes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    indexes.add(r.readVarU64());
                }
                yield new SyncRequestMessage.RequestMissing(sessionId, indexes);
            }
            case SYNC_RESUME -> new SyncRequestMessage.SyncResume(r.readU128(), r.readVarU64(), r.readVarU64());
            case REQUEST_END_SESSION -> new SyncRequestMessage.EndSession(r.readU128());
            default -> throw unknownVariant("SyncRequestMessage", tag, at);
        };
    }

    // ---- SyncResponseMessage -------------------------------------------------------------

    /** The bytes of a responder's message: the postcard fields, then any command bodies. */
    public static byte[] encode(SyncResponseMessage message) {
        PostcardWriter w = new PostcardWriter();
        writeResponseFields(w, message);
        writeBodies(w, message);
        return w.toByteArray();
    }

    /** Decodes a responder's message, with its command bodies, from {@code length} bytes of buf at offset. */
    public static SyncResponseMessage decodeSyncResponse(byte[] buf, int offset, int length) throws SyncException {
        PostcardReader r = new PostcardReader(buf, offset, length);
        SyncResponseMessage message = readResponseFields(r).readBodies(r);
        r.expectEnd();
        return message;
    }

    /** Writes the postcard part of a response; the command bodies go after the whole message. */
    private static void writeResponseFields(PostcardWriter w, SyncResponseMessage message) {
        switch (message) {
            case SyncResponseMessage.SyncResponse(SessionId sessionId, long responseIndex, List<Command> commands) -> {
                w.writeVariantIndex(SYNC_RESPONSE);
                w.writeU128(sessionId);
                w.writeVarU64(responseIndex);
                w.writeSeqLength(commands.size());
                for (Command command : commands) {
                    writeCommandMeta(w, command);
                }
            }
            case SyncResponseMessage.SyncEnd(SessionId sessionId, long maxIndex, boolean remaining) -> {
                w.writeVariantIndex(SYNC_END);
                w.writeU128(sessionId);
                w.writeVarU64(maxIndex);
                w.writeBool(remaining);
            }
            case SyncResponseMessage.Offer(SessionId sessionId, CommandId head) -> {
                w.writeVariantIndex(OFFER);
                w.writeU128(sessionId);
                w.writeId(head);
            }
            case SyncResponseMessage.EndSession(SessionId sessionId) -> {
                w.writeVariantIndex(RESPONSE_END_SESSION);
                w.writeU128(sessionId);
            }
        }
    }

    private static void writeBodies(PostcardWriter w, SyncResponseMessage message) {
        if (message instanceof SyncResponseMessage.SyncResponse response) {
            for (Command command : response.commands()) {
                w.writeRaw(command.policy());
                w.writeRaw(command.payload());
            }
        }
    }

    private static void writeCommandMeta(PostcardWriter w, Command command) {
        w.writeId(command.id());
        writePriority(w, command.priority());
        writePrior(w, command.parent());
        w.writeVarU32(command.policy().length());
        w.writeVarU32(command.payload().length());
        w.writeVarU64(command.maxCut());
    }

    /**
     * A response whose postcard fields have been read but whose command bodies, which follow
     * the last field of the enclosing message, have not.
     */
    @FunctionalInterface
    private interface ResponseAwaitingBodies {
        SyncResponseMessage readBodies(PostcardReader r) throws SyncException;
    }

    /** What a {@code CommandMeta} says about a command whose bodies are still unread. */
    private record CommandMeta(CommandId id, Priority priority, Prior parent, long policyLength, long length) {}

    private static ResponseAwaitingBodies readResponseFields(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case SYNC_RESPONSE -> {
                SessionId sessionId = r.readU128();
                long responseIndex = r.readVarU64();
                int count = r.readSeqLength(Limits.COMMAND_RESPONSE_MAX);
                List<CommandMeta> metas = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    metas.add(readCommandMeta(r));
                }
                yield bodies -> new SyncResponseMessage.SyncResponse(sessionId, responseIndex, readCommands(bodies, metas));
            }
            case SYNC_END -> withoutBodies(new SyncResponseMessage.SyncEnd(r.readU128(), r.readVarU64(), r.readBool()));
            case OFFER -> withoutBodies(new SyncResponseMessage.Offer(r.readU128(), r.readId(CommandId::of)));
            case RESPONSE_END_SESSION -> withoutBodies(new SyncResponseMessage.EndSession(r.readU128()));
            default -> throw unknownVariant("SyncResponseMessage", tag, at);
        };
    }

    /** A message that has no command bodies is complete once its fields are read. */
    private static ResponseAwaitingBodies withoutBodies(SyncResponseMessage message) {
        return bodies -> message;
    }

    private static CommandMeta readCommandMeta(PostcardReader r) throws SyncException {
        CommandId id = r.readId(CommandId::of);
        Priority priority = readPriority(r);
        Prior parent = readPrior(r);
        long policyLength = r.readVarU32();
        long length = r.readVarU32();
        int at = r.offset();
        long claimedMaxCut = readMaxCut(r);
        long maxCut;
        try {
            maxCut = parent.childMaxCut();
        } catch (ArithmeticException e) {
            throw PostcardReader.malformed(at, "command " + id + " has a parent at the largest max cut");
        }
        if (claimedMaxCut != maxCut) {
            throw PostcardReader.malformed(at, "command " + id + " claims max cut " + claimedMaxCut + ", its parents give " + maxCut);
        }
        return new CommandMeta(id, priority, parent, policyLength, length);
    }

    private static List<Command> readCommands(PostcardReader r, List<CommandMeta> metas) throws SyncException {
        List<Command> commands = new ArrayList<>(metas.size());
        for (CommandMeta meta : metas) {
            Bytes policy = r.readRaw(meta.policyLength());
            Bytes payload = r.readRaw(meta.length());
            commands.add(new Command(meta.id(), meta.priority(), meta.parent(), policy, payload));
        }
        return commands;
    }

    private static void writePriority(PostcardWriter w, Priority priority) {
        switch (priority) {
            case Priority.Merge m -> w.writeVariantIndex(PRIORITY_MERGE);
            case Priority.Basic(long value) -> {
                w.writeVariantIndex(PRIORITY_BASIC);
                w.writeVarU32(value);
            }
            case Priority.Finalize f -> w.writeVariantIndex(PRIORITY_FINALIZE);
            case Priority.Init i -> w.writeVariantIndex(PRIORITY_INIT);
        }
    }

    private static Priority readPriority(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case PRIORITY_MERGE -> Priority.MERGE;
            case PRIORITY_BASIC -> Priority.basic(r.readVarU32());
            case PRIORITY_FINALIZE -> Priority.FINALIZE;
            case PRIORITY_INIT -> Priority.INIT;
            default -> throw unknownVariant("Priority", tag, at);
        };
    }

    private static void writePrior(PostcardWriter w, Prior parent) {
        switch (parent) {
            case Prior.None n -> w.writeVariantIndex(PRIOR_NONE);
            case Prior.Single(Address p) -> {
                w.writeVariantIndex(PRIOR_SINGLE);
                writeAddress(w, p);
            }
            case Prior.Merge(Address left, Address right) -> {
                w.writeVariantIndex(PRIOR_MERGE);
                writeAddress(w, left);
                writeAddress(w, right);
            }
        }
    }

    private static Prior readPrior(PostcardReader r) throws SyncException {
        int at = r.offset();
        int tag = r.readVariantIndex();
        return switch (tag) {
            case PRIOR_NONE -> Prior.NONE;
            case PRIOR_SINGLE -> new Prior.Single(readAddress(r));
            case PRIOR_MERGE -> {
                Address left = readAddress(r);
                Address right = readAddress(r);
                if (left.id().equals(right.id())) {
                    throw PostcardReader.malformed(at, "merge of " + left.id() + " with itself");
                }
                yield new Prior.Merge(left, right);
            }
            default -> throw unknownVariant("Prior", tag, at);
        };
    }

    // ---- Addresses -----------------------------------------------------------------------

    private static void writeAddresses(PostcardWriter w, List<Address> addresses) {
        w.writeSeqLength(addresses.size());
        for (Address address : addresses) {
            writeAddress(w, address);
        }
    }

    private static List<Address> readAddresses(PostcardReader r, int max) throws SyncException {
        int count = r.readSeqLength(max);
        List<Address> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            addresses.add(readAddress(r));
        }
        return addresses;
    }

    private static void writeAddress(PostcardWriter w, Address address) {
        w.writeId(address.id());
        w.writeVarU64(address.maxCut());
    }

    private static Address readAddress(PostcardReader r) throws SyncException {
        return new Address(r.readId(CommandId::of), readMaxCut(r));
    }

    /** A max cut is a Rust {@code usize}; we hold it in a long, so 2^63 and above are refused. */
    private static long readMaxCut(PostcardReader r) throws SyncException {
        int at = r.offset();
        long maxCut = r.readVarU64();
        if (maxCut < 0) {
            throw PostcardReader.malformed(at, "max cut " + Long.toUnsignedString(maxCut) + " exceeds 2^63-1");
        }
        return maxCut;
    }

    // ---- ResponseEnvelope ----------------------------------------------------------------

    /** The bytes of a reply frame's envelope. */
    public static byte[] encode(ResponseEnvelope envelope) {
        PostcardWriter w = new PostcardWriter();
        switch (envelope) {
            case ResponseEnvelope.Ok(Bytes payload) -> {
                w.writeVariantIndex(ENVELOPE_OK);
                w.writeBytes(payload);
            }
            case ResponseEnvelope.Err(String message) -> {
                w.writeVariantIndex(ENVELOPE_ERR);
                w.writeString(message);
            }
        }
        return w.toByteArray();
    }

    /** Decodes a reply frame's envelope from {@code length} bytes of buf at offset. */
    public static ResponseEnvelope decodeResponseEnvelope(byte[] buf, int offset, int length) throws SyncException {
        PostcardReader r = new PostcardReader(buf, offset, length);
        int at = r.offset();
        int tag = r.readVariantIndex();
        ResponseEnvelope envelope = switch (tag) {
            case ENVELOPE_OK -> new ResponseEnvelope.Ok(r.readBytes());
            case ENVELOPE_ERR -> new ResponseEnvelope.Err(r.readString());
            default -> throw unknownVariant("ResponseEnvelope", tag, at);
        };
        r.expectEnd();
        return envelope;
    }

    private static SyncException unknownVariant(String type, int tag, int at) {
        return PostcardReader.malformed(at, "unknown " + type + " variant " + tag);
    }
}
