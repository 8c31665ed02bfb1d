package io.github.litestreamspring.sample;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import io.github.litestreamspring.lifecycle.LitestreamReplication;

/** Prints where to look once the sample is up. */
@Component
class WhereToLook implements ApplicationRunner {

	private static final Logger logger = LoggerFactory.getLogger(WhereToLook.class);

	private final Environment environment;

	private final LitestreamReplication replication;

	WhereToLook(Environment environment, LitestreamReplication replication) {
		this.environment = environment;
		this.replication = replication;
	}

	@Override
	public void run(ApplicationArguments args) {
		String base = "http://localhost:" + this.environment.getProperty("local.server.port", "8080");
		logger.info("""

				Sample is up. The database {} is replicated to {}.
				  add a note:        curl -H 'Content-Type: text/plain' -d 'hello' {}/notes
				  list notes:        curl {}/notes
				  backup health:     curl {}/actuator/health/litestream
				  replica contents:  curl {}/actuator/litestream
				  snapshot now:      curl -X POST {}/actuator/litestream/snapshot
				  metrics:           curl {}/actuator/metrics/litestream.replica.wal.bytes
				""", this.replication.databasePath(),
				this.replication.replicas().stream().map((r) -> r.client().describe()).toList(), base, base, base, base,
				base, base);
	}

}
