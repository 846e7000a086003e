package aranya.sync.quic;

/**
 * A datagram the listener's socket drops before kwik sees it: a QUIC packet that is cut short,
 * fails to decrypt, or holds frames an Initial packet may not hold. The message says which.
 */
final class InvalidPacketException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPacketException(String message) {
        super(message, null, false, false); // dropped packets are routine under attack: no stack trace to fill in
    }
}
