package aranya.sync.protocol;

/**
 * What one sync session moved.
 *
 * @param received commands the peer sent us
 * @param added of those, commands we did not have (the rest were duplicates)
 * @param sent commands we sent the peer (only in bidirectional sessions, or when serving)
 * @param remaining whether the peer stopped early because our byte limit was reached, so
 *     another session would bring more
 * @param bytes message bytes sent and received in the session (without transport framing)
 */
public record SyncSummary(int received, int added, int sent, boolean remaining, long bytes) {
    /** {@return commands received that we already had} */
    public int duplicates() {
        return received - added;
    }
}
