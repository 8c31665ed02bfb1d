package io.github.litestreamspring.engine.db;

import java.nio.file.Path;
import java.sql.Statement;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per reason {@link WalVerifier} gives for starting a new generation, and the two verdicts
 * that keep it: built on a real WAL that sqlite-jdbc wrote, with the shadow WAL laid out by hand.
 */
class WalVerifierTests {

	@TempDir
	Path dir;

	private WalFixture fixture;

	@BeforeEach
	void writeSomeCommits() throws Exception {
		this.fixture = new WalFixture(this.dir);
		this.fixture.app.insertBatch(0, 5, 100);
		this.fixture.app.insertBatch(1, 5, 100);
		this.pageSize = this.fixture.pageSize();
	}

	private int pageSize;

	@AfterEach
	void close() throws Exception {
		this.fixture.close();
	}

	private WalVerifier.Verdict verify() throws Exception {
		return new WalVerifier(this.fixture.state, this.fixture.wal(), this.pageSize).verify();
	}

	@Test
	void aShadowWalThatIsAPrefixOfTheWalContinues() throws Exception {
		this.fixture.shadow(0, this.fixture.walBytes());
		assertThat(verify()).isEqualTo(WalVerifier.Verdict.continuing());
	}

	@Test
	void noRecordedGenerationStartsOne() throws Exception {
		assertThat(verify().reason()).isEqualTo("no generation exists");
	}

	@Test
	void aGenerationWithoutShadowWalStartsANewOne() throws Exception {
		this.fixture.state.writeGeneration(WalFixture.GENERATION);
		assertThat(verify().reason()).isEqualTo("no shadow wal");
	}

	@Test
	void theHighestIndexStartsANewGeneration() throws Exception {
		this.fixture.shadow(ReplicaPaths.MAX_INDEX, this.fixture.walBytes());
		assertThat(verify().reason()).isEqualTo("max index exceeded");
	}

	@Test
	void aShadowWalShorterThanAHeaderStartsANewGeneration() throws Exception {
		this.fixture.shadow(0, Arrays.copyOf(this.fixture.walBytes(), WalHeader.SIZE - 1));
		assertThat(verify().reason()).isEqualTo("short shadow wal");
	}

	@Test
	void aWalShorterThanTheShadowWalStartsANewGeneration() throws Exception {
		this.fixture.shadow(0, this.fixture.walBytes());
		try (Statement st = this.fixture.app.connection().createStatement()) {
			st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
		}
		assertThat(verify().reason()).isEqualTo("wal truncated by another process");
	}

	@Test
	void aHeaderOnlyShadowWalOfAnotherWalStartsANewGeneration() throws Exception {
		byte[] header = Arrays.copyOf(this.fixture.walBytes(), WalHeader.SIZE);
		this.fixture.shadow(0, WalFixture.withSalt1(header, 1));
		assertThat(verify().reason()).isEqualTo("wal header only, mismatched");
	}

	@Test
	void aLastFrameThatDiffersFromTheWalStartsANewGeneration() throws Exception {
		byte[] shadow = this.fixture.walBytes();
		shadow[shadow.length - 1] ^= 0x5A; // the last page's last byte
		this.fixture.shadow(0, shadow);
		assertThat(verify().reason()).isEqualTo("wal overwritten by another process");
	}

	@Test
	void aWalRestartedMoreThanOnceStartsANewGeneration() throws Exception {
		// The shadow's header is two restarts behind the WAL's (salt-1 grows by one per restart).
		this.fixture.shadow(0, WalFixture.withSalt1(this.fixture.walBytes(), -2));
		assertThat(verify().reason()).isEqualTo("wal restarted more than once");
	}

	@Test
	void aWalRestartedOnceWithTheOldLastFrameIntactIsARestart() throws Exception {
		byte[] before = this.fixture.walBytes();
		this.fixture.shadow(0, before);
		try (Statement st = this.fixture.app.connection().createStatement()) {
			st.execute("PRAGMA wal_checkpoint(RESTART)");
		}
		this.fixture.app.insertBatch(2, 1, 10); // rewrites the header and the first frames only
		byte[] after = this.fixture.walBytes();
		int frameSize = WalFrameHeader.SIZE + this.pageSize;
		assertThat(WalHeader.parse(after, 0).salt1()).isEqualTo(WalHeader.parse(before, 0).salt1() + 1);
		assertThat(after.length).as("a restart keeps the file's length").isGreaterThanOrEqualTo(before.length);
		assertThat(Arrays.copyOfRange(after, before.length - frameSize, before.length))
			.isEqualTo(Arrays.copyOfRange(before, before.length - frameSize, before.length));
		assertThat(verify()).isEqualTo(WalVerifier.Verdict.restarted());
	}

}
