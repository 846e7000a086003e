package aranya.sync.graph;

/** The id of a device signing key: {@code TupleHash("KeyId-v1", raw Ed25519 public key)}. */
public final class KeyId extends Id32 {
    private KeyId(byte[] bytes) {
        super(bytes);
    }

    /** The key id with these 32 bytes (copied). */
    public static KeyId of(byte[] bytes) {
        return new KeyId(bytes);
    }

    /** The id of a raw 32-byte Ed25519 public key. */
    public static KeyId ofPublicKey(byte[] rawPublicKey) {
        return new KeyId(TupleHash.hash("KeyId-v1", rawPublicKey));
    }
}
