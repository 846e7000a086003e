package aranya.sync.quic;

import java.lang.System.Logger.Level;
import java.util.List;
import tech.kwik.core.log.NullLogger;

/**
 * kwik's logger, reduced to what an operator needs: its warnings and errors go to
 * {@link System.Logger}; debug, packet and statistics output is dropped. Messages that kwik
 * emits in normal operation are logged at DEBUG only.
 */
final class KwikLog extends NullLogger {
    /** Parts of kwik messages that are routine, not trouble. */
    private static final List<String> ROUTINE = List.of(
            "that is not closed",                   // every connection the peer closed
            "non existent connection",              // packets that arrive after a close
            "non-existent connection",
            "Receiving data for already closed",    // a retransmission after the stream ended
            "frame for non-existent stream",        // the same, once the stream is forgotten
            "probe on discarded space",             // loss-detection timers racing the handshake's end
            "keys are discarded",
            "ms too early; rescheduling",
            "sender is looping in busy wait",       // kwik's self-check of its pacing; it recovers by itself
            "DataBlockedFrame",                     // the peer reports flow control doing its job
            "not accepting new connections",        // a peer dialling a listener that is closing
            "ConnectionCloseFrame",                 // refusing it, on the socket that just closed
            "anti-amplification limit",             // a server waiting for a new client to prove its address
            "Timer was cancelled");                 // a loss-detection timer that fired as it was cancelled

    private final System.Logger log;

    KwikLog(String name) {
        this.log = System.getLogger(name);
    }

    @Override
    public void warn(String message) {
        log.log(levelOf(message, Level.WARNING), message);
    }

    @Override
    public void error(String message) {
        log.log(levelOf(message, Level.ERROR), message);
    }

    @Override
    public void error(String message, Throwable error) {
        log.log(levelOf(message, Level.ERROR), message, error);
    }

    private static Level levelOf(String message, Level level) {
        return message != null && ROUTINE.stream().anyMatch(message::contains) ? Level.DEBUG : level;
    }
}
