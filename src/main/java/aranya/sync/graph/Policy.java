package aranya.sync.graph;

import aranya.sync.SyncException;
import java.util.List;

/**
 * Decides which correctly signed commands may join a graph. The graph asks it once per new
 * command, parents first, with the command's own ancestry as context; the answer must depend
 * on nothing else, so that every replica accepts exactly the same commands.
 */
public interface Policy {
    /**
     * {@return the keys this command makes members (for example the founder of an init command)} Pure.
     *
     * @param command a verified non-merge command
     * @param content its signed content
     */
    List<KeyId> grantedKeys(Command command, SignedContent content);

    /**
     * Throws {@link aranya.sync.SyncError#POLICY_REJECTED} if the command is not allowed where it is.
     *
     * @param command a verified non-merge command
     * @param content its signed content
     * @param context the command's history, for membership checks
     * @throws SyncException POLICY_REJECTED if it is not allowed
     */
    void authorize(Command command, SignedContent content, PolicyContext context) throws SyncException;
}
