package aranya.sync.control;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A node's control endpoint: a Unix domain socket at {@code DIR/control/socket} through which
 * the command line runs its commands against the running node instead of opening the data
 * directory (which the node holds locked). Each connection carries one request; the command's
 * output streams back as it is written, then its exit code.
 *
 * <p>Only the node's owner can connect: the {@code control} directory and the socket are
 * owner-only (the directory is made so before the socket exists, so there is no moment when
 * the socket is open to others), and a connection from any other user (by the kernel's peer
 * credentials) is closed unanswered. Every wait is bounded: a client has {@link #REQUEST_TIMEOUT}
 * to send its request and {@link #WRITE_TIMEOUT} to take each frame of output; at most
 * {@link #MAX_CONNECTIONS} requests run at once.
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    /** How long a client may take to send its request. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long a client may take to accept one frame of output. */
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    /** How often a running command with no output says that it is still running. */
    static final Duration ALIVE_EVERY = Duration.ofSeconds(5);
    /** Requests served at once; more wait for a slot until their request timeout. */
    static final int MAX_CONNECTIONS = 16;
    /** The largest output frame. */
    static final int MAX_OUTPUT_FRAME = 64 * 1024;

    private final Path socket;
    private final ServerSocketChannel server;
    private final UserPrincipal owner;
    private final Function<ControlRequest, Handler> handlers;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Set<ControlChannel> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    /** Runs one request, writing its output; returns its exit code. */
    public interface Handler {
        /** Runs the request; out and err reach the client as they are written. */
        int run(OutputStream out, OutputStream err);
    }

    private ControlServer(Path socket, ServerSocketChannel server, UserPrincipal owner, Function<ControlRequest, Handler> handlers) {
        this.socket = socket;
        this.server = server;
        this.owner = owner;
        this.handlers = handlers;
        this.acceptor = Thread.ofVirtual().name("aranya-sync-control").start(this::accept);
    }

    /** Where the control socket of the node in dataDirectory is. */
    public static Path socketPath(Path dataDirectory) {
        return dataDirectory.resolve("control").resolve("socket");
    }

    /**
     * Listens on the control socket of dataDirectory, replacing a stale socket file (the caller
     * holds the directory's lock, so no other node serves it); each request is run by the
     * handler that handlers makes for it.
     */
    public static ControlServer start(Path dataDirectory, Function<ControlRequest, Handler> handlers) throws IOException {
        Path socket = socketPath(dataDirectory);
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        // Also when it existed: whatever its mode was, only the owner may reach the socket.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return new ControlServer(socket, server, Files.getOwner(socket), handlers);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException("cannot open the control socket " + socket + ": " + e.getMessage(), e);
        }
    }

    /** The socket's path. */
    public Path socket() {
        return socket;
    }

    private void accept() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "control socket {0}: accept failed: {1}", socket, e.getMessage());
                }
                return;
            }
            Thread.ofVirtual().name("aranya-sync-control-request").start(() -> serve(client));
        }
    }

    private void serve(SocketChannel client) {
        try (ControlChannel channel = new ControlChannel(client)) {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().equals(owner)) {
                LOG.log(Level.WARNING, "control socket {0}: refused a connection from user {1}", socket, peer.user().getName());
                return;
            }
            if (!slots.tryAcquire(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            open.add(channel);
            try {
                if (closed) {
                    return;
                }
                ControlChannel.Frame frame = channel.read(ControlRequest.MAX_BYTES, REQUEST_TIMEOUT);
                if (frame.type() != ControlChannel.REQUEST) {
                    throw new IOException("expected a request, got a frame of type " + frame.type());
                }
                run(channel, handlers.apply(ControlRequest.decode(frame.body())));
            } finally {
                open.remove(channel);
                slots.release();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control socket {0}: {1}", socket, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(ControlChannel channel, Handler handler) throws IOException {
        CountDownLatch done = new CountDownLatch(1);
        Thread alive = Thread.ofVirtual().start(() -> {
            try {
                while (!done.await(ALIVE_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                    channel.write(ControlChannel.ALIVE, new byte[0], 0, 0, WRITE_TIMEOUT);
                }
            } catch (IOException | InterruptedException e) {
                // The client is gone; the command's own writes find out too.
            }
        });
        int exit;
        try (OutputStream out = new FrameOutput(channel, ControlChannel.OUT); OutputStream err = new FrameOutput(channel, ControlChannel.ERR)) {
            exit = handler.run(out, err);
        } finally {
            done.countDown();
        }
        try {
            alive.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.write(ControlChannel.EXIT, ByteBuffer.allocate(4).putInt(exit).array(), 0, 4, WRITE_TIMEOUT);
    }

    /** Closes the socket, ends the requests in progress and removes the socket file. */
    @Override
    public void close() throws IOException {
        closed = true;
        try {
            server.close();
            for (ControlChannel c : open) {
                c.close();
            }
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    /** A command's output stream: each write (in pieces of at most one frame) becomes a frame. */
    private static final class FrameOutput extends OutputStream {
        private final ControlChannel channel;
        private final byte type;

        FrameOutput(ControlChannel channel, byte type) {
            this.channel = channel;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i += MAX_OUTPUT_FRAME) {
                channel.write(type, b, off + i, Math.min(MAX_OUTPUT_FRAME, len - i), WRITE_TIMEOUT);
            }
        }
    }
}
