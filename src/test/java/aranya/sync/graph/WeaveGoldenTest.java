package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import org.junit.jupiter.api.Test;

/**
 * Aranya's golden braid cases (aranya-runtime v0.22, client/transaction.rs tests), with the
 * merges the runtime's commits create spelled out: the expected strings are Aranya's.
 */
class WeaveGoldenTest {

    @Test
    void idsAreBase58NumbersAndPrioritiesTheirLastByte() {
        assertThat(TestDag.idOf("a").byteAt(31)).isEqualTo((byte) 33);
        assertThat(TestDag.idOf("1")).isEqualTo(CommandId.ZERO);
        assertThat(TestDag.idOf("42").byteAt(31)).isEqualTo((byte) 175);
    }

    @Test
    void simple() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "b").chain("a", "c").merge("ma", "b", "c")
                .chain("b", "d").merge("mb", "ma", "d");
        assertThat(dag.weave("mb")).isEqualTo("a:b:d:c");
    }

    @Test
    void complex() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "1", "2", "3").chain("3", "4", "6", "7").chain("3", "5", "8")
                .merge("9", "6", "8").chain("9", "aa")
                .merge("MA", "7", "aa") // first commit: heads {7, aa}
                .chain("7", "a1", "a2").merge("a3", "aa", "a2").chain("a3", "a6", "a4").chain("a3", "a7", "a5")
                .merge("a8", "a4", "a5").chain("9", "42", "43").chain("42", "45", "46").chain("45", "47", "48")
                // second commit: heads {43, 46, 48, a8} merged pairwise, then with the stored head
                .merge("MB", "43", "46").merge("MC", "48", "a8").merge("MD", "MC", "MB").merge("ME", "MA", "MD");
        assertThat(dag.weave("ME")).isEqualTo("a:1:2:3:5:8:4:6:42:45:47:48:46:43:aa:7:a1:a2:a7:a6:a5:a4");
    }

    @Test
    void duplicates() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "b", "c").chain("a", "b").chain("b", "c", "d")
                .chain("a", "b").chain("b", "c").chain("d", "e");
        assertThat(dag.weave("e")).isEqualTo("a:b:c:d:e");
    }

    @Test
    void midBraid1() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "b", "c", "d", "e", "f", "g").chain("d", "h", "i", "j")
                .merge("M", "g", "j");
        assertThat(dag.weave("M")).isEqualTo("a:b:c:d:h:i:j:e:f:g");
    }

    @Test
    void midBraid2() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "b", "c", "d", "h", "i", "j").chain("d", "e", "f", "g")
                .merge("M", "g", "j");
        assertThat(dag.weave("M")).isEqualTo("a:b:c:d:h:i:j:e:f:g");
    }

    @Test
    void sequentialFinalize() throws SyncException {
        TestDag dag = new TestDag().init("a").chain("a", "b", "c", "d", "e", "f", "g").chain("d", "h", "i", "j")
                .finalize("fff1", "e").chain("fff1", "x", "y").finalize("fff2", "y")
                .merge("M1", "g", "j").merge("M2", "fff2", "M1");
        assertThat(dag.weave("M2")).isEqualTo("a:b:c:d:e:fff1:x:y:fff2:h:i:j:f:g");
    }

    @Test
    void parallelFinalizeIsATypedError() {
        TestDag dag = new TestDag().init("a").chain("a", "b", "c", "d", "e", "f", "g").chain("d", "h", "i", "j")
                .finalize("fff1", "e").finalize("fff2", "i")
                .merge("M1", "g", "j").merge("M2", "fff1", "fff2").merge("M3", "M1", "M2");
        assertThatThrownBy(() -> dag.weave("M3"))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PARALLEL_FINALIZE));
    }
}
