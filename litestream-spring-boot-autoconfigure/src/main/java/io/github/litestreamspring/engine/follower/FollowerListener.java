package io.github.litestreamspring.engine.follower;

import java.nio.file.Path;

import io.github.litestreamspring.engine.Pos;

/**
 * Hears a follower switch the database path to a newer copy. Called on the follower's thread after the
 * link was replaced: the pool should retire its connections to {@code from} (they keep their consistent
 * state until they are returned), so that the copy can be brought forward next time.
 */
@FunctionalInterface
public interface FollowerListener {

	FollowerListener NONE = (from, to, position) -> {
	};

	void switched(Path from, Path to, Pos position);

}
