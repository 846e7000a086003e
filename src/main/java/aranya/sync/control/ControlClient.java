package aranya.sync.control;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The command line's side of a node's control socket ({@link ControlServer}). */
public final class ControlClient {
    /** Without any frame for this long (the node sends one every few seconds), the node is taken to be hung. */
    static final Duration SILENCE_TIMEOUT = Duration.ofSeconds(60);

    private ControlClient() {}

    /**
     * Runs request on the node that serves dataDirectory, copying its output to out and err as
     * it arrives; returns its exit code, or empty if no node answers on the socket (none
     * exists, or it is a stale file a killed node left).
     *
     * @throws IOException if a node answered but the exchange then failed
     */
    public static Optional<Integer> call(Path dataDirectory, ControlRequest request, OutputStream out, OutputStream err)
            throws IOException {
        Path socket = ControlServer.socketPath(dataDirectory);
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        SocketChannel connected = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            connected.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            connected.close();
            return Optional.empty(); // refused: nothing listens there any more
        }
        try (ControlChannel channel = new ControlChannel(connected)) {
            byte[] body = request.encode();
            channel.write(ControlChannel.REQUEST, body, 0, body.length, ControlServer.WRITE_TIMEOUT);
            while (true) {
                ControlChannel.Frame frame = channel.read(ControlServer.MAX_OUTPUT_FRAME, SILENCE_TIMEOUT);
                switch (frame.type()) {
                    case ControlChannel.OUT -> write(out, frame.body());
                    case ControlChannel.ERR -> write(err, frame.body());
                    case ControlChannel.ALIVE -> { }
                    case ControlChannel.EXIT -> {
                        if (frame.body().length != 4) {
                            throw new IOException("the node sent an exit frame of " + frame.body().length + " bytes");
                        }
                        return Optional.of(ByteBuffer.wrap(frame.body()).getInt());
                    }
                    default -> throw new IOException("the node sent a frame of unknown type " + frame.type());
                }
            }
        } catch (IOException e) {
            throw new IOException("the node serving " + dataDirectory + " stopped answering: " + e.getMessage(), e);
        }
    }

    private static void write(OutputStream to, byte[] bytes) throws IOException {
        to.write(bytes);
        to.flush();
    }
}
