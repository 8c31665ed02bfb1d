package io.github.litestreamspring.engine.follower;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import io.github.litestreamspring.engine.Pos;

/**
 * What a follower serves and how stale it is, for health, metrics and the endpoint.
 *
 * @param database the application's database path (a link to {@code activeCopy})
 * @param activeCopy the copy new connections open
 * @param position the exact replica position that copy holds
 * @param lag how stale the served state may be: the time since the oldest replica object it does not hold
 * was written, or, when it held everything at the last successful listing, the time since that listing
 * @param lastPoll when the replica was last listed successfully; {@code null} before the first poll
 * @param lastError the last poll's or apply's failure; {@code null} once one succeeds again
 * @param switches how many times the path was switched to a newer copy since the start
 * @param waitingForReaders whether the last apply was put off because a connection still has the idle
 * copy open (a long read, or a pool that does not retire connections)
 */
public record FollowerStatus(Path database, Path activeCopy, Pos position, Duration lag, Instant lastPoll,
		String lastError, long switches, boolean waitingForReaders) {

}
