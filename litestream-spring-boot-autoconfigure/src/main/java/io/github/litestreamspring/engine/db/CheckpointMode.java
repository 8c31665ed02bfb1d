package io.github.litestreamspring.engine.db;

/** SQLite checkpoint modes the engine uses, named as Litestream reports them. */
public enum CheckpointMode {

	PASSIVE, RESTART, TRUNCATE

}
