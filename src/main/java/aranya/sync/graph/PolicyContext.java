package aranya.sync.graph;

import java.util.List;

/** What a {@link Policy} may ask about the graph while it judges a command. */
public interface PolicyContext {
    /** Commands (stored or earlier in this batch) whose {@link Policy#grantedKeys} named key. */
    List<CommandId> grantsOf(KeyId key);

    /** Whether ancestor is an ancestor of, or equal to, descendant; both must be present. */
    boolean isAncestorOrEqual(CommandId ancestor, CommandId descendant);
}
