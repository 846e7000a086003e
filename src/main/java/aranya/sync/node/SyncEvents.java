package aranya.sync.node;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR events of the sync node, with the field names Aranya's observability guide asks for
 * (aranya-docs docs/observability/sync.md), so recordings line up with Aranya's logs. The
 * session events are timed: begun when the session starts, committed when it ends, so a
 * recording shows each one's start and duration; {@code duration_ms} repeats the duration for
 * tools that read fields only. A team authentication the server refuses is
 * {@code aranya.sync.AuthFailed}, recorded by the transport.
 */
final class SyncEvents {
    private SyncEvents() {}

    @Name("aranya.sync.SyncCompleted")
    @Label("Sync Completed")
    @Category("Aranya Sync")
    @Description("A sync session with a peer finished")
    static final class Completed extends Event {
        @Name("duration_ms") @Label("Duration (ms)") long durationMs;
        @Name("peer_addr") @Label("Peer Address") String peerAddr;
        @Name("team") @Label("Team") String team;
        @Name("bidirectional") @Label("Bidirectional") boolean bidirectional;
        @Name("cmd_count_received") @Label("Commands Received") int cmdCountReceived;
        @Name("cmd_count_added") @Label("Commands Added") int cmdCountAdded;
        @Name("cmd_count_sent") @Label("Commands Sent") int cmdCountSent;
        @Name("bytes_transferred") @Label("Bytes Transferred") long bytesTransferred;
    }

    @Name("aranya.sync.SyncFailed")
    @Label("Sync Failed")
    @Category("Aranya Sync")
    @Description("A sync session with a peer failed")
    static final class Failed extends Event {
        @Name("duration_ms") @Label("Duration (ms)") long durationMs;
        @Name("peer_addr") @Label("Peer Address") String peerAddr;
        @Name("team") @Label("Team") String team;
        @Name("error") @Label("Error Code") String error;
        @Name("message") @Label("Message") String message;
        @Name("retry_count") @Label("Consecutive Failures") int retryCount;
        @Name("last_successful_sync") @Label("Last Successful Sync (epoch ms, 0 = never)") long lastSuccessfulSync;
    }

    @Name("aranya.sync.ServeFailed")
    @Label("Serve Failed")
    @Category("Aranya Sync")
    @Description("A sync session a peer opened on this node's server failed or was refused; nothing of its failed batch was stored")
    static final class ServeFailed extends Event {
        @Name("duration_ms") @Label("Duration (ms)") long durationMs;
        @Name("peer_addr") @Label("Peer Address") String peerAddr;
        @Name("team") @Label("Team (if the request named one)") String team;
        @Name("error") @Label("Error Code") String error;
        @Name("message") @Label("Message") String message;
    }

    @Name("aranya.sync.SyncStalled")
    @Label("Sync Stalled")
    @Category("Aranya Sync")
    @Description("Syncs with a peer keep failing: the third consecutive failure, and every one after")
    static final class Stalled extends Event {
        @Name("peer_addr") @Label("Peer Address") String peerAddr;
        @Name("team") @Label("Team") String team;
        @Name("retry_count") @Label("Consecutive Failures") int retryCount;
        @Name("error") @Label("Error Code") String error;
    }
}
