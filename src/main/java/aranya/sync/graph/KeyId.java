package aranya.sync.graph;

/** The id of a device signing key: {@code TupleHash("KeyId-v1", raw Ed25519 public key)}. */
public final class KeyId extends Id32 {
    private KeyId(byte[] bytes) {
        super(bytes);
    }

    /**
     * {@return the key id with these 32 bytes (copied)}
     *
     * @param bytes exactly 32 bytes
     */
    public static KeyId of(byte[] bytes) {
        return new KeyId(bytes);
    }

    /**
     * {@return the id of a raw 32-byte Ed25519 public key}
     *
     * @param rawPublicKey the 32-byte public key
     */
    public static KeyId ofPublicKey(byte[] rawPublicKey) {
        return new KeyId(TupleHash.hash("KeyId-v1", rawPublicKey));
    }
}
