package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 9001 appendix A.1: the client's Initial keys for Destination Connection ID 0x8394c8f03e515708. */
class InitialKeysTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void clientKeysMatchRfc9001AppendixA() {
        InitialKeys keys = InitialKeys.client(HEX.parseHex("8394c8f03e515708"));
        assertThat(HEX.formatHex(keys.key())).isEqualTo("1f369613dd76d5467730efcbe3b1a22d");
        assertThat(HEX.formatHex(keys.iv())).isEqualTo("fa044b2f42a3fd3b46fb255c");
        assertThat(HEX.formatHex(keys.headerProtectionKey())).isEqualTo("9f50449e04a0e810283a1e9933adedd2");
    }

    @Test
    void expandLabelMatchesRfc9001AppendixAClientSecret() {
        byte[] initialSecret = HEX.parseHex("7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
        assertThat(HEX.formatHex(InitialKeys.expandLabel(initialSecret, "client in", 32)))
                .isEqualTo("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
    }
}
