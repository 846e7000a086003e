package aranya.sync.graph;

import java.util.HexFormat;

/** The id of a graph (team): by definition the id of its init command. */
public final class GraphId extends Id32 implements Comparable<GraphId> {
    private GraphId(byte[] bytes) {
        super(bytes);
    }

    /**
     * {@return the graph whose init command has this id}
     *
     * @param initId the init command's id
     */
    public static GraphId of(CommandId initId) {
        return new GraphId(initId.rawBytes());
    }

    /**
     * {@return the id with these 32 bytes (copied)}
     *
     * @param bytes exactly 32 bytes
     */
    public static GraphId of(byte[] bytes) {
        return new GraphId(bytes);
    }

    /**
     * {@return the id written as 64 hex digits}
     *
     * @param hex 64 hex digits
     */
    public static GraphId fromHex(String hex) {
        return new GraphId(HexFormat.of().parseHex(hex));
    }

    /** {@return the id of this graph's init command} */
    public CommandId initId() {
        return CommandId.of(rawBytes());
    }

    @Override
    public int compareTo(GraphId other) {
        return compareBytes(other);
    }
}
