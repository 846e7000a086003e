package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.PostcardReader;
import aranya.sync.wire.PostcardWriter;

/**
 * The bytes of {@link AuthMessage}s. Every auth frame starts with the marker byte
 * {@value #MARKER}, then the message's postcard variant index, then its fields in postcard:
 * <pre>
 *   Hello      80 00 | team id (20 + 32 B) | clientNonce (20 + 32 B)      68 bytes
 *   Challenge  80 01 | serverNonce (20 + 32 B) | serverMac (20 + 32 B)    68 bytes
 *   Proof      80 02 | clientMac (20 + 32 B)                              35 bytes
 *   Result     80 03 | accepted (00 or 01)                                 3 bytes
 * </pre>
 * A sync stream's first frame is a postcard {@code SyncType}, whose first byte is its variant
 * index 0..4; a postcard varint whose first byte is 0x80 or more is an index of 128 or more,
 * which names no {@code SyncType}. So the first byte alone tells an auth stream from a sync
 * stream. Conformance vectors: docs/conformance/auth.txt.
 */
final class AuthCodec {
    /** First byte of every auth frame. */
    static final int MARKER = 0x80;

    private static final int HELLO = 0;
    private static final int CHALLENGE = 1;
    private static final int PROOF = 2;
    private static final int RESULT = 3;

    private AuthCodec() {}

    /** Whether frame is an auth frame (rather than a sync message). */
    static boolean isAuthFrame(byte[] frame) {
        return frame.length > 0 && (frame[0] & 0xFF) == MARKER;
    }

    static byte[] encode(AuthMessage message) {
        PostcardWriter writer = new PostcardWriter();
        writer.writeU8(MARKER);
        switch (message) {
            case AuthMessage.Hello(GraphId team, Bytes clientNonce) -> {
                writer.writeVariantIndex(HELLO);
                writer.writeId(team);
                writer.writeBytes(clientNonce);
            }
            case AuthMessage.Challenge(Bytes serverNonce, Bytes serverMac) -> {
                writer.writeVariantIndex(CHALLENGE);
                writer.writeBytes(serverNonce);
                writer.writeBytes(serverMac);
            }
            case AuthMessage.Proof(Bytes clientMac) -> {
                writer.writeVariantIndex(PROOF);
                writer.writeBytes(clientMac);
            }
            case AuthMessage.Result(boolean accepted) -> {
                writer.writeVariantIndex(RESULT);
                writer.writeBool(accepted);
            }
        }
        return writer.toByteArray();
    }

    /**
     * The message in frame.
     *
     * @throws SyncException {@link SyncError#MALFORMED} if frame is not exactly one auth message
     */
    static AuthMessage decode(byte[] frame) throws SyncException {
        PostcardReader reader = new PostcardReader(frame);
        int marker = reader.readU8();
        if (marker != MARKER) {
            throw new SyncException(SyncError.MALFORMED, String.format("an auth frame starts with %02x, got %02x", MARKER, marker));
        }
        int kind = reader.readVariantIndex();
        AuthMessage message;
        try {
            message = switch (kind) {
                case HELLO -> new AuthMessage.Hello(reader.readId(GraphId::of), reader.readBytes());
                case CHALLENGE -> new AuthMessage.Challenge(reader.readBytes(), reader.readBytes());
                case PROOF -> new AuthMessage.Proof(reader.readBytes());
                case RESULT -> new AuthMessage.Result(reader.readBool());
                default -> throw new SyncException(SyncError.MALFORMED, "auth message kind " + kind + " is unknown");
            };
        } catch (IllegalArgumentException e) {
            throw new SyncException(SyncError.MALFORMED, "auth message: " + e.getMessage(), e);
        }
        reader.expectEnd();
        return message;
    }
}
