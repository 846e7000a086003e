/**
 * aranya-sync: Aranya command-graph sync. See docs/modules.md for what each package is for.
 */
module aranya.sync {
    exports aranya.sync;
}
