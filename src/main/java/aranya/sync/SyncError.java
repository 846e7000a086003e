package aranya.sync;
/** placeholder */
public enum SyncError { MALFORMED }
