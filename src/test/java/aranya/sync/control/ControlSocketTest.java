package aranya.sync.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket on its own: requests, streamed output, exit codes, and what a bad client gets. */
class ControlSocketTest {
    @TempDir
    Path dir;

    @Test
    void aRequestRunsAndItsOutputAndExitCodeComeBack() throws Exception {
        try (ControlServer server = ControlServer.start(dir, request -> (out, err) -> {
            try {
                out.write(String.join(",", request.args()).getBytes(StandardCharsets.UTF_8));
                out.write(new byte[200_000]); // more than one frame
                err.write(request.input());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return 42;
        })) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            var exit = ControlClient.call(dir, new ControlRequest(List.of("status", "--json", "€"), "stdin ü".getBytes(StandardCharsets.UTF_8)), out, err);
            assertThat(exit).contains(42);
            assertThat(out.size()).isEqualTo("status,--json,€".getBytes(StandardCharsets.UTF_8).length + 200_000);
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("stdin ü");
            assertThat(server.socket()).isEqualTo(ControlServer.socketPath(dir));
        }
        assertThat(ControlServer.socketPath(dir)).doesNotExist();
    }

    @Test
    void noNodeAndAStaleSocketBothMeanNoAnswer() throws Exception {
        assertThat(ControlClient.call(dir, new ControlRequest(List.of("status"), new byte[0]), OutputStream.nullOutputStream(), OutputStream.nullOutputStream())).isEmpty();
        // A socket file nobody listens on, as a killed node leaves it.
        Path socket = ControlServer.socketPath(dir);
        Files.createDirectories(socket.getParent());
        try (var s = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        assertThat(ControlClient.call(dir, new ControlRequest(List.of("status"), new byte[0]), OutputStream.nullOutputStream(), OutputStream.nullOutputStream())).isEmpty();
    }

    @Test
    void aFrameLongerThanARequestMayBeIsRefusedBeforeItIsRead() throws Exception {
        try (ControlServer server = ControlServer.start(dir, request -> (out, err) -> 0);
                SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(server.socket()))) {
            raw.write(ByteBuffer.allocate(5).put(ControlChannel.REQUEST).putInt(Integer.MAX_VALUE).flip());
            // The server drops the connection without allocating 2 GiB: the read sees the end.
            assertThat(raw.read(ByteBuffer.allocate(16))).isEqualTo(-1);
        }
    }

    @Test
    void requestDecodingChecksEveryLength() throws Exception {
        byte[] good = new ControlRequest(List.of("append", "note", "text"), new byte[] {1, 2, 3}).encode();
        assertThat(ControlRequest.decode(good).args()).containsExactly("append", "note", "text");
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> ControlRequest.decode(truncated)).isInstanceOf(IOException.class);
        }
        Random random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] mutated = good.clone();
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
            try {
                ControlRequest.decode(mutated);
            } catch (IOException expected) {
                // Refused with a reason; anything else (an exception of another type) fails the test.
            }
        }
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> ControlRequest.decode(trailing)).hasMessageContaining("after its input");
        assertThatThrownBy(() -> new ControlRequest(List.of("x"), new byte[ControlRequest.MAX_BYTES]).encode())
                .isInstanceOf(IOException.class).hasMessageContaining("more than a node takes");
    }
}
