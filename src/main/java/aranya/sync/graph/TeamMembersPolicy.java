package aranya.sync.graph;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The default policy: a team is a set of member keys. The founder of the init command and
 * the keys listed in its fields are members; an {@value #ADD_MEMBER} command adds the key in
 * its fields. A command is accepted if its author was made a member by one of its ancestors
 * (or is the founder), so acceptance depends only on the command's own history and every
 * replica decides the same. Members are never removed: revocation needs a richer policy.
 */
public final class TeamMembersPolicy implements Policy {
    /** The kind of the init command. */
    public static final String CREATE_TEAM = "CreateTeam";
    /** The kind of the command that adds a member; its fields are the raw 32-byte public key. */
    public static final String ADD_MEMBER = "AddMember";
    /** The policy blob of init commands under this policy. */
    public static final Bytes POLICY_ID = Bytes.of("aranya.sync/team-members-v1".getBytes(StandardCharsets.UTF_8));

    /** The policy; it holds no state, so one instance serves every graph. */
    public TeamMembersPolicy() {
    }

    private static final int KEY_LENGTH = DeviceKey.PUBLIC_KEY_LENGTH;

    /**
     * {@return the init command of a new team founded by founder, with further founding members}
     *
     * @param founder the founder's key, which signs the command
     * @param otherMembers the raw public keys of the other founding members
     */
    public static Command createTeam(DeviceKey founder, List<byte[]> otherMembers) {
        byte[] fields = new byte[otherMembers.size() * KEY_LENGTH];
        for (int i = 0; i < otherMembers.size(); i++) {
            byte[] key = otherMembers.get(i);
            if (key.length != KEY_LENGTH) {
                throw new IllegalArgumentException("member keys are 32-byte Ed25519 public keys, got " + key.length + " bytes");
            }
            System.arraycopy(key, 0, fields, i * KEY_LENGTH, KEY_LENGTH);
        }
        return Command.init(founder, CREATE_TEAM, Bytes.wrap(fields), POLICY_ID);
    }

    @Override
    public List<KeyId> grantedKeys(Command command, SignedContent content) {
        List<KeyId> keys = new ArrayList<>();
        Bytes fields = content.fields();
        if (command.priority() instanceof Priority.Init) {
            keys.add(content.authorKeyId());
            if (fields.length() % KEY_LENGTH == 0) {
                byte[] raw = fields.toByteArray();
                for (int off = 0; off < raw.length; off += KEY_LENGTH) {
                    keys.add(KeyId.ofPublicKey(java.util.Arrays.copyOfRange(raw, off, off + KEY_LENGTH)));
                }
            }
        } else if (ADD_MEMBER.equals(content.kind()) && fields.length() == KEY_LENGTH) {
            keys.add(KeyId.ofPublicKey(fields.toByteArray()));
        }
        return keys;
    }

    @Override
    public void authorize(Command command, SignedContent content, PolicyContext context) throws SyncException {
        if (command.priority() instanceof Priority.Init) {
            if (!POLICY_ID.equals(command.policy())) {
                throw rejected(command, "init command names policy " + command.policy() + ", not " + POLICY_ID);
            }
            if (!CREATE_TEAM.equals(content.kind()) || content.fields().length() % KEY_LENGTH != 0) {
                throw rejected(command, "init command must be " + CREATE_TEAM + " with a list of 32-byte keys");
            }
            return;
        }
        if (ADD_MEMBER.equals(content.kind()) && content.fields().length() != KEY_LENGTH) {
            throw rejected(command, ADD_MEMBER + " needs one 32-byte public key, got " + content.fields().length() + " bytes");
        }
        CommandId parent = ((Prior.Single) command.parent()).parent().id();
        for (CommandId grant : context.grantsOf(content.authorKeyId())) {
            if (context.isAncestorOrEqual(grant, parent)) {
                return;
            }
        }
        throw rejected(command, "author " + content.authorKeyId() + " is not a team member at this point of the graph");
    }

    private static SyncException rejected(Command command, String why) {
        return new SyncException(SyncError.POLICY_REJECTED, "command " + command.id() + ": " + why);
    }
}
