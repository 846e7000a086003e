package aranya.sync.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions shared by the wire tests. */
final class WireAssertions {
    private WireAssertions() {}

    /** The call fails with a {@link SyncException} of the given code whose message contains the text. */
    static void assertSyncError(ThrowingCallable call, SyncError error, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(error))
                .hasMessageContaining(message);
    }

    /** The call fails as {@link SyncError#MALFORMED} with a message containing the text. */
    static void assertMalformed(ThrowingCallable call, String message) {
        assertSyncError(call, SyncError.MALFORMED, message);
    }
}
