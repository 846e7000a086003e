package aranya.sync.graph;

import java.util.List;

/** What a {@link Policy} may ask about the graph while it judges a command. */
public interface PolicyContext {
    /**
     * {@return commands (stored or earlier in this batch) whose {@link Policy#grantedKeys} named key}
     *
     * @param key the key asked about
     */
    List<CommandId> grantsOf(KeyId key);

    /**
     * {@return whether ancestor is an ancestor of, or equal to, descendant; both must be present}
     *
     * @param ancestor the possible ancestor
     * @param descendant the possible descendant
     */
    boolean isAncestorOrEqual(CommandId ancestor, CommandId descendant);
}
