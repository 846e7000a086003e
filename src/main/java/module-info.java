/**
 * aranya-sync: Aranya command-graph sync, embeddable in any JVM application.
 * docs/modules.md says what each exported package is for and what stays internal.
 */
module aranya.sync {
    requires org.bouncycastle.provider;
    requires tech.kwik.core;
    requires jdk.jfr;

    exports aranya.sync;
    exports aranya.sync.graph;
    exports aranya.sync.graph.storage;
    exports aranya.sync.protocol;
    exports aranya.sync.peers;
    exports aranya.sync.node;
}
