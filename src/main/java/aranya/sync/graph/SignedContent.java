package aranya.sync.graph;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The payload of every non-merge command: who wrote it, what kind of command it is, its
 * application fields, and the author's signature. Layout (all lengths checked on decode):
 * <pre>
 *   u8 version (1) | author public key (32) | u8 kind length | kind (UTF-8)
 *   | u32 BE fields length | fields | signature (64)
 * </pre>
 *
 * @param authorPublicKey the author's raw 32-byte Ed25519 public key
 * @param kind the command kind, 1 to {@value #MAX_KIND_LENGTH} UTF-8 bytes
 * @param fields the application data
 * @param signature the author's 64-byte Ed25519 signature
 */
public record SignedContent(Bytes authorPublicKey, String kind, Bytes fields, Bytes signature) {
    static final int VERSION = 1;
    /** Longest kind name, in UTF-8 bytes. */
    public static final int MAX_KIND_LENGTH = 255;

    /** Checks the lengths of the key, signature and kind. */
    public SignedContent {
        Objects.requireNonNull(authorPublicKey, "authorPublicKey");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(fields, "fields");
        Objects.requireNonNull(signature, "signature");
        if (authorPublicKey.length() != DeviceKey.PUBLIC_KEY_LENGTH) {
            throw new IllegalArgumentException("author public key must be 32 bytes, got " + authorPublicKey.length());
        }
        if (signature.length() != DeviceKey.SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("signature must be 64 bytes, got " + signature.length());
        }
        int kindLength = kind.getBytes(StandardCharsets.UTF_8).length;
        if (kind.isEmpty() || kindLength > MAX_KIND_LENGTH) {
            throw new IllegalArgumentException("kind must be 1.." + MAX_KIND_LENGTH + " UTF-8 bytes, got " + kindLength);
        }
    }

    /** {@return the id of the author's key} */
    public KeyId authorKeyId() {
        return KeyId.ofPublicKey(authorPublicKey.toByteArray());
    }

    Bytes encode() {
        byte[] kindBytes = kind.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(1 + 32 + 1 + kindBytes.length + 4 + fields.length() + 64);
        out.put((byte) VERSION);
        authorPublicKey.writeTo(out);
        out.put((byte) kindBytes.length).put(kindBytes);
        out.putInt(fields.length());
        fields.writeTo(out);
        signature.writeTo(out);
        return Bytes.wrap(out.array());
    }

    /**
     * Decodes a command payload; any deviation from the layout is {@link SyncError#MALFORMED}.
     *
     * @param payload a non-merge command's payload
     * @return the decoded content
     * @throws SyncException MALFORMED if it does not follow the layout
     */
    public static SignedContent decode(Bytes payload) throws SyncException {
        ByteBuffer in = payload.asReadOnlyBuffer();
        try {
            int version = Byte.toUnsignedInt(in.get());
            if (version != VERSION) {
                throw malformed("unknown signed-content version " + version);
            }
            byte[] key = new byte[DeviceKey.PUBLIC_KEY_LENGTH];
            in.get(key);
            int kindLength = Byte.toUnsignedInt(in.get());
            if (kindLength == 0 || kindLength > in.remaining()) {
                throw malformed("kind length " + kindLength + " with " + in.remaining() + " bytes left");
            }
            byte[] kindBytes = new byte[kindLength];
            in.get(kindBytes);
            String kind = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(kindBytes))
                    .toString();
            long fieldsLength = Integer.toUnsignedLong(in.getInt());
            if (fieldsLength + DeviceKey.SIGNATURE_LENGTH != in.remaining()) {
                throw malformed("fields length " + fieldsLength + " does not match the " + in.remaining() + " bytes left");
            }
            byte[] fields = new byte[(int) fieldsLength];
            in.get(fields);
            byte[] signature = new byte[DeviceKey.SIGNATURE_LENGTH];
            in.get(signature);
            return new SignedContent(Bytes.wrap(key), kind, Bytes.wrap(fields), Bytes.wrap(signature));
        } catch (BufferUnderflowException e) {
            throw malformed("signed content truncated at byte " + in.position());
        } catch (CharacterCodingException e) {
            throw malformed("kind is not valid UTF-8");
        }
    }

    private static SyncException malformed(String what) {
        return new SyncException(SyncError.MALFORMED, what);
    }
}
