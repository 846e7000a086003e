package aranya.sync.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run as a separate JVM by {@link NodeFloodTest}: serves the node in DIR on 127.0.0.1 and
 * reports its own memory, so a flood's effect is measured on the node alone. Prints
 * {@code LISTENING <port>}; then answers each {@code STATS} line on stdin with
 * {@code STATS <peak heap used> <VmRSS> <VmHWM> <heap used after a full GC>} (bytes; the heap
 * peak sampled every 50 ms, garbage included), and stops when stdin ends.
 */
public final class FloodTarget {
    private FloodTarget() {}

    public static void main(String[] args) throws Exception {
        Runtime runtime = Runtime.getRuntime();
        AtomicLong peakHeap = new AtomicLong();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peakHeap.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max),
                0, 50, TimeUnit.MILLISECONDS);
        SyncNode.Builder builder = SyncNode.builder(Path.of(args[0])).listenAddress(Nodes.LOOPBACK);
        try (SyncNode node = builder.open()) {
            System.out.println("LISTENING " + node.listenAddress().orElseThrow().getPort());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("STATS")) {
                    long peak = peakHeap.get();
                    System.gc();
                    long live = runtime.totalMemory() - runtime.freeMemory();
                    System.out.println("STATS " + peak + " " + status("VmRSS") + " " + status("VmHWM") + " " + live);
                    System.out.flush();
                }
            }
        } finally {
            sampler.shutdownNow();
        }
    }

    /** A field of /proc/self/status, in bytes. */
    private static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim()) * 1024;
            }
        }
        throw new IOException("no " + field + " in /proc/self/status");
    }
}
