/**
 * aranya-sync: Aranya command-graph sync, embeddable in any JVM application.
 * docs/modules.md says what each exported package is for and what stays internal.
 */
module aranya.sync {
    requires org.bouncycastle.provider;
    requires tech.kwik.core;
    requires jdk.jfr;
    requires jdk.net;

    exports aranya.sync;
    exports aranya.sync.graph;
    exports aranya.sync.graph.storage;
    exports aranya.sync.protocol;
    exports aranya.sync.peers;
    exports aranya.sync.node;

    // The command line runs its commands on a node that opened a control socket; the node
    // finds the runner through this service, since node must not depend on cli.
    uses aranya.sync.control.CommandRunner;
    provides aranya.sync.control.CommandRunner with aranya.sync.cli.ControlCommands;
}
