package aranya.sync.graph;

import java.util.Objects;

/**
 * Where a command sits in its graph: its id and its max cut (the length of the longest path
 * from the init command). Ordered by id, then max cut, like Aranya's {@code Address}.
 *
 * @param id the command's id
 * @param maxCut the command's max cut, 0 for the init command
 */
public record Address(CommandId id, long maxCut) implements Comparable<Address> {
    /** Checks that the max cut is not negative. */
    public Address {
        Objects.requireNonNull(id, "id");
        if (maxCut < 0) {
            throw new IllegalArgumentException("maxCut must be >= 0, got " + maxCut);
        }
    }

    @Override
    public int compareTo(Address o) {
        int c = id.compareTo(o.id);
        return c != 0 ? c : Long.compare(maxCut, o.maxCut);
    }

    @Override
    public String toString() {
        return id + "@" + maxCut;
    }
}
