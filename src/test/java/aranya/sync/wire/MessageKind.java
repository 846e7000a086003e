package aranya.sync.wire;

import aranya.sync.SyncException;
import java.util.List;
import java.util.function.Function;

/** One of the three top-level messages the codec decodes, so tests can treat them alike. */
record MessageKind(String name, String vectorFile, Function<Object, byte[]> encoder, Decoder decoder) {
    @FunctionalInterface
    interface Decoder {
        Object decode(byte[] buf, int offset, int length) throws SyncException;
    }

    static final MessageKind SYNC_TYPE = new MessageKind("SyncType", "sync-type.txt",
            m -> MessageCodec.encode((SyncType) m), MessageCodec::decodeSyncType);
    static final MessageKind SYNC_RESPONSE = new MessageKind("SyncResponseMessage", "sync-response-message.txt",
            m -> MessageCodec.encode((SyncResponseMessage) m), MessageCodec::decodeSyncResponse);
    static final MessageKind ENVELOPE = new MessageKind("ResponseEnvelope", "response-envelope.txt",
            m -> MessageCodec.encode((ResponseEnvelope) m), MessageCodec::decodeResponseEnvelope);

    static final List<MessageKind> ALL = List.of(SYNC_TYPE, SYNC_RESPONSE, ENVELOPE);

    Object decode(byte[] bytes) throws SyncException {
        return decoder.decode(bytes, 0, bytes.length);
    }

    byte[] encode(Object message) {
        return encoder.apply(message);
    }

    @Override
    public String toString() {
        return name;
    }
}
