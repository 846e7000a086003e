package aranya.sync.wire;

import static aranya.sync.wire.WireAssertions.assertMalformed;
import static aranya.sync.wire.WireAssertions.assertSyncError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Frames: a u32 big-endian length, then the message; the peer's claims are checked first. */
class FrameTest {
    private static final int MAX = Limits.MAX_SYNC_MESSAGE_SIZE;

    @Test
    void theHelloReplyIsTheSixByteFrameOfTheSpec() throws Exception {
        // Aranya's daemon answers a hello with Ok([]) = 00 00, framed as 00 00 00 02 00 00 (docs/protocol.md).
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, MAX).writeFrame(MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.EMPTY)));
        assertThat(out.toByteArray()).isEqualTo(Vectors.hex("00 00 00 02 00 00"));
    }

    @Test
    void eachFrameReachesTheStreamInOneWrite() throws Exception {
        List<Integer> writes = new ArrayList<>();
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                writes.add(1);
            }

            @Override
            public void write(byte[] data, int offset, int length) {
                writes.add(length);
            }
        };
        FrameWriter writer = new FrameWriter(counting, MAX);
        writer.writeFrame(new byte[30_000]);
        writer.writeFrame(new byte[0]);
        assertThat(writes).containsExactly(30_004, 4);
    }

    @Test
    void framesRoundTripAndTheStreamEndsCleanlyBetweenThem() throws Exception {
        byte[] largest = new byte[MAX];
        Arrays.fill(largest, (byte) 7);
        byte[][] messages = {Vectors.hex("01 02 03"), new byte[0], largest};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, MAX);
        for (byte[] message : messages) {
            writer.writeFrame(message);
        }
        assertThat(Arrays.copyOf(out.toByteArray(), 7)).isEqualTo(Vectors.hex("00 00 00 03 01 02 03"));

        FrameReader reader = new FrameReader(new ByteArrayInputStream(out.toByteArray()), MAX);
        for (byte[] message : messages) {
            assertThat(reader.readFrame()).hasValueSatisfying(frame -> assertThat(frame).isEqualTo(message));
        }
        assertThat(reader.readFrame()).isEmpty();
        reader.expectEnd();
    }

    @Test
    void framesArriveIntactFromAStreamThatTricklesOneByteAtATime() throws Exception {
        byte[] message = new byte[150_000];
        new java.util.Random(1).nextBytes(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, MAX).writeFrame(message);
        FrameReader reader = new FrameReader(new OneByteAtATime(new ByteArrayInputStream(out.toByteArray())), MAX);
        assertThat(reader.readFrame()).hasValueSatisfying(frame -> assertThat(frame).isEqualTo(message));
        assertThat(reader.readFrame()).isEmpty();
    }

    @Test
    void anEmptyStreamHasNoFrame() throws Exception {
        assertThat(new FrameReader(new ByteArrayInputStream(new byte[0]), MAX).readFrame()).isEqualTo(Optional.empty());
    }

    @Test
    void aStreamEndingInsideTheLengthIsTruncated() {
        for (String header : new String[] {"00", "00 00", "00 00 00"}) {
            assertMalformed(() -> reader(header).readFrame(), "truncated frame");
        }
    }

    @Test
    void aStreamEndingInsideTheMessageIsTruncated() {
        assertMalformed(() -> reader("00 00 00 05 01 02 03").readFrame(), "truncated frame: the stream ended 3 bytes into the 5-byte message");
        assertMalformed(() -> reader("00 00 00 01").readFrame(), "truncated frame");
    }

    @Test
    void anOversizedLengthIsRefusedBeforeTheMessageIsRead() {
        byte[] tooLong = new byte[4 + MAX + 1];
        tooLong[1] = (byte) ((MAX + 1) >>> 16);
        tooLong[2] = (byte) ((MAX + 1) >>> 8);
        tooLong[3] = (byte) (MAX + 1);
        CountingStream in = new CountingStream(new ByteArrayInputStream(tooLong));
        assertSyncError(() -> new FrameReader(in, MAX).readFrame(), SyncError.MESSAGE_TOO_LARGE, "205825 bytes exceeds the maximum of 205824");
        assertThat(in.bytesRead).isEqualTo(4);
        assertThat(in.largestBuffer).isLessThanOrEqualTo(4);

        // The largest u32 must not wrap to a negative int and slip through.
        assertSyncError(() -> reader("ff ff ff ff 00").readFrame(), SyncError.MESSAGE_TOO_LARGE, "4294967295 bytes");
        assertSyncError(() -> reader("80 00 00 00 00").readFrame(), SyncError.MESSAGE_TOO_LARGE, "2147483648 bytes");
    }

    @Test
    void aClaimedLargeFrameWithLittleDataAllocatesLittle() {
        CountingStream in = new CountingStream(new ByteArrayInputStream(Vectors.hex("00 03 24 00 01 02 03"))); // claims 205 824 B, sends 3
        assertMalformed(() -> new FrameReader(in, MAX).readFrame(), "truncated frame");
        assertThat(in.largestBuffer).isLessThanOrEqualTo(64 * 1024);
    }

    @Test
    void theWriterRefusesAnOversizedMessageAndWritesNothing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, 10);
        assertSyncError(() -> writer.writeFrame(new byte[11]), SyncError.MESSAGE_TOO_LARGE, "11 bytes exceeds the maximum of 10");
        assertThat(out.size()).isZero();
    }

    @Test
    void expectEndRefusesMoreBytes() throws Exception {
        FrameReader reader = reader("00 00 00 01 aa 00");
        assertThat(reader.readFrame()).isPresent();
        assertSyncError(reader::expectEnd, SyncError.UNEXPECTED_MESSAGE, "more after its last message");
    }

    @Test
    void streamFailuresStayIOExceptions() {
        IOException reset = new IOException("stream reset by peer");
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw reset;
            }
        };
        assertThatThrownBy(() -> new FrameReader(failing, MAX).readFrame()).isSameAs(reset);
        assertThatThrownBy(() -> new FrameReader(failing, MAX).expectEnd()).isSameAs(reset);
    }

    private static FrameReader reader(String hex) {
        return new FrameReader(new ByteArrayInputStream(Vectors.hex(hex)), MAX);
    }

    /** Counts the bytes read, and records the largest buffer the reader offered to fill. */
    private static final class CountingStream extends FilterInputStream {
        long bytesRead;
        int largestBuffer;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                bytesRead++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            largestBuffer = Math.max(largestBuffer, buffer.length);
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                bytesRead += n;
            }
            return n;
        }
    }

    /** A stream that returns at most one byte per read, like a slow network. */
    private static final class OneByteAtATime extends FilterInputStream {
        OneByteAtATime(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return super.read(buffer, offset, Math.min(length, 1));
        }
    }
}
