package aranya.sync.quic;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * The JFR event of a team authentication this node's server refused, timed from the peer's
 * Hello to the refusal; beside the node's session events (category "Aranya Sync").
 */
@Name("aranya.sync.AuthFailed")
@Label("Team Authentication Refused")
@Category("Aranya Sync")
@Description("A peer's team authentication on this node's server failed or was refused; its connection serves no sync for that team")
final class AuthFailedEvent extends jdk.jfr.Event {
    @Name("peer_addr") @Label("Peer Address") String peerAddr;
    @Name("team") @Label("Team (if the Hello named one)") String team;
    @Name("error") @Label("Error Code") String error;
    @Name("message") @Label("Message") String message;
}
