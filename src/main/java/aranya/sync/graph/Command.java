package aranya.sync.graph;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * One command of a graph, as it is stored and sent. Its max cut is derived from its parents,
 * never read from input; the graph checks the parents' max cuts against what it stores.
 *
 * <p>Ids (documented in docs/command-format.md):
 * <ul>
 *   <li>{@code digest = TupleHash("SignPolicyCommand-v1", authorKeyId, kind, parentId, priority, policy, fields)},
 *       where parentId is the all-zero id for the init command;</li>
 *   <li>{@code signature = Ed25519(author key, digest)};</li>
 *   <li>{@code id = TupleHash("PolicyCommandId-v1", digest, signature)};</li>
 *   <li>merge commands: {@code id = TupleHash("MergeCommandId-v1", lower parent id, higher parent id)}.</li>
 * </ul>
 *
 * @param policy the policy blob; only init commands carry one (empty means none)
 * @param payload for non-merge commands the encoded {@link SignedContent} ({@link #content()} decodes it); empty for merges
 * @param id the command's id: a hash of its content (see above)
 * @param priority its priority in the braid
 * @param parent its parents: none for the init command, two for a merge, else one
 */
public record Command(CommandId id, Priority priority, Prior parent, Bytes policy, Bytes payload) {
    /**
     * The most bytes of policy plus payload a command may carry, so that any command fits in
     * one sync message (Aranya's 205,824-byte limit) with room for its metadata.
     */
    public static final int MAX_CONTENT_BYTES = 200 * 1024;

    /** Checks that no component is null. */
    public Command {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(payload, "payload");
    }

    /** {@return the length of the longest path from the init command: 0 for init, else 1 + max over parents} */
    public long maxCut() {
        return parent.childMaxCut();
    }

    /** {@return where this command sits: its id and max cut} */
    public Address address() {
        return new Address(id, maxCut());
    }

    /** {@return whether this is a merge command (two parents)} */
    public boolean isMerge() {
        return parent instanceof Prior.Merge;
    }

    /**
     * What the author wrote, for a non-merge command: the author's public key
     * ({@link SignedContent#authorPublicKey()}, and its {@link SignedContent#authorKeyId() id}),
     * the command's {@link SignedContent#kind() kind}, its application
     * {@link SignedContent#fields() fields} and the signature, decoded from the payload. Empty
     * for a merge: a merge has no author, kind or fields; it only joins two heads, and every
     * replica writes the same one ({@link #merge}). Commands a graph hands out were verified
     * when they arrived, so their payloads always decode.
     *
     * @return the decoded content; empty for a merge
     * @throws IllegalStateException if the payload does not decode, which only a command built
     *     from unchecked bytes can do ({@link #verify()} is the check for those)
     */
    public Optional<SignedContent> content() {
        if (isMerge()) {
            return Optional.empty();
        }
        try {
            return Optional.of(SignedContent.decode(payload));
        } catch (SyncException e) {
            throw new IllegalStateException("command " + id + " has a payload that does not decode: " + e.reason(), e);
        }
    }

    /**
     * Creates a new graph's init command, signed by its founder.
     *
     * @param founder the key that signs the command and becomes the first member
     * @param kind the command kind, 1 to {@value SignedContent#MAX_KIND_LENGTH} UTF-8 bytes
     * @param fields the application data
     * @param policy the policy blob (empty for none)
     * @return the init command; its id is the new graph's id
     */
    public static Command init(DeviceKey founder, String kind, Bytes fields, Bytes policy) {
        return signed(founder, Prior.NONE, Priority.INIT, kind, fields, policy);
    }

    /**
     * Creates a command on top of parent, signed by author.
     *
     * @param author the key that signs the command
     * @param parent the command this one follows
     * @param priority its priority in the braid
     * @param kind the command kind, 1 to {@value SignedContent#MAX_KIND_LENGTH} UTF-8 bytes
     * @param fields the application data
     * @return the signed command
     */
    public static Command action(DeviceKey author, Address parent, Priority priority, String kind, Bytes fields) {
        if (priority instanceof Priority.Merge || priority instanceof Priority.Init) {
            throw new IllegalArgumentException("an action has a basic or finalize priority, got " + priority);
        }
        return signed(author, new Prior.Single(parent), priority, kind, fields, Bytes.EMPTY);
    }

    /**
     * The merge of two heads; both peers that merge the same pair make the same command.
     *
     * @param a one head
     * @param b another head, with a different id
     * @return the merge command, its parents ordered by id
     */
    public static Command merge(Address a, Address b) {
        boolean ordered = a.id().compareTo(b.id()) < 0;
        Address left = ordered ? a : b;
        Address right = ordered ? b : a;
        return new Command(mergeId(left.id(), right.id()), Priority.MERGE, new Prior.Merge(left, right), Bytes.EMPTY, Bytes.EMPTY);
    }

    /**
     * Checks that this command is internally consistent and authentic: the priority fits the
     * parents, the id is the hash of the content, and the signature verifies. Returns the
     * signed content of a non-merge command, empty for a merge.
     *
     * @return the signed content of a non-merge command; empty for a merge
     * @throws SyncException BAD_SIGNATURE or MALFORMED if the command is not what it claims to be
     */
    public Optional<SignedContent> verify() throws SyncException {
        if (policy.length() + payload.length() > MAX_CONTENT_BYTES) {
            throw new SyncException(SyncError.MALFORMED, "command " + id + " carries " + (policy.length() + payload.length())
                    + " bytes, more than " + MAX_CONTENT_BYTES);
        }
        switch (parent) {
            case Prior.Merge(Address l, Address r) -> {
                if (!(priority instanceof Priority.Merge) || !payload.isEmpty() || !policy.isEmpty()) {
                    throw new SyncException(SyncError.MALFORMED, "merge command " + id + " must have merge priority and no payload");
                }
                CommandId lo = l.id().compareTo(r.id()) < 0 ? l.id() : r.id();
                CommandId hi = lo.equals(l.id()) ? r.id() : l.id();
                if (!mergeId(lo, hi).equals(id)) {
                    throw new SyncException(SyncError.BAD_MERGE_ID, "merge command " + id + " is not the merge of " + l + " and " + r);
                }
                return Optional.empty();
            }
            case Prior.None n -> {
                if (!(priority instanceof Priority.Init)) {
                    throw new SyncException(SyncError.MALFORMED, "parentless command " + id + " must have init priority");
                }
            }
            case Prior.Single s -> {
                if (priority instanceof Priority.Init || priority instanceof Priority.Merge) {
                    throw new SyncException(SyncError.MALFORMED, "command " + id + " with one parent has priority " + priority);
                }
                if (!policy.isEmpty()) {
                    throw new SyncException(SyncError.MALFORMED, "only init commands carry a policy, " + id + " does");
                }
            }
        }
        SignedContent content;
        try {
            content = SignedContent.decode(payload);
        } catch (SyncException e) {
            throw new SyncException(e.error(), "command " + id + ": " + e.reason(), e);
        }
        byte[] digest = digest(content.authorKeyId(), content.kind(), parentId(parent), priority, policy, content.fields());
        byte[] signature = content.signature().toByteArray();
        if (!CommandId.of(TupleHash.hash("PolicyCommandId-v1", digest, signature)).equals(id)) {
            throw new SyncException(SyncError.INVALID_COMMAND_ID, "command " + id + " does not hash to its id");
        }
        if (!DeviceKey.verify(content.authorPublicKey().toByteArray(), digest, signature)) {
            throw new SyncException(SyncError.BAD_SIGNATURE, "command " + id + " has a bad signature by " + content.authorKeyId());
        }
        return Optional.of(content);
    }

    private static Command signed(DeviceKey author, Prior parent, Priority priority, String kind, Bytes fields, Bytes policy) {
        if (fields.length() + policy.length() > MAX_CONTENT_BYTES - 512) {
            throw new IllegalArgumentException("fields and policy of " + (fields.length() + policy.length())
                    + " bytes leave no room for the signed envelope within " + MAX_CONTENT_BYTES + " bytes");
        }
        byte[] digest = digest(author.keyId(), kind, parentId(parent), priority, policy, fields);
        byte[] signature = author.sign(digest);
        CommandId id = CommandId.of(TupleHash.hash("PolicyCommandId-v1", digest, signature));
        SignedContent content = new SignedContent(Bytes.wrap(author.publicKey()), kind, fields, Bytes.wrap(signature));
        return new Command(id, priority, parent, policy, content.encode());
    }

    static CommandId mergeId(CommandId lower, CommandId higher) {
        return CommandId.of(TupleHash.hash("MergeCommandId-v1", lower.rawBytes(), higher.rawBytes()));
    }

    private static CommandId parentId(Prior parent) {
        return parent instanceof Prior.Single(Address p) ? p.id() : CommandId.ZERO;
    }

    static byte[] digest(KeyId author, String kind, CommandId parent, Priority priority, Bytes policy, Bytes fields) {
        ByteBuffer prio = ByteBuffer.allocate(5).put((byte) priority.rank());
        if (priority instanceof Priority.Basic(long v)) {
            prio.putInt((int) v);
        }
        return TupleHash.hash("SignPolicyCommand-v1",
                author.rawBytes(),
                kind.getBytes(StandardCharsets.UTF_8),
                parent.rawBytes(),
                java.util.Arrays.copyOf(prio.array(), prio.position()),
                policy.toByteArray(),
                fields.toByteArray());
    }

    @Override
    public String toString() {
        return "Command[" + id + " " + priority + " " + parent + "]";
    }
}
