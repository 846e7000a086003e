package aranya.sync.graph;

import java.util.HexFormat;

/** The 32-byte id of a command; ordered as unsigned bytes, like Aranya's {@code CmdId}. */
public final class CommandId extends Id32 implements Comparable<CommandId> {
    /** The all-zero id, used as the parent id of the init command when hashing. */
    public static final CommandId ZERO = new CommandId(new byte[LENGTH]);

    private CommandId(byte[] bytes) {
        super(bytes);
    }

    /**
     * {@return the id with these 32 bytes (copied)}
     *
     * @param bytes exactly 32 bytes
     */
    public static CommandId of(byte[] bytes) {
        return new CommandId(bytes);
    }

    /**
     * {@return the id written as 64 hex digits}
     *
     * @param hex 64 hex digits
     */
    public static CommandId fromHex(String hex) {
        return new CommandId(HexFormat.of().parseHex(hex));
    }

    @Override
    public int compareTo(CommandId other) {
        return compareBytes(other);
    }
}
