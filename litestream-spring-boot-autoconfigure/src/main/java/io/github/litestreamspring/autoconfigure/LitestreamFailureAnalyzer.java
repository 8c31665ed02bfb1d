package io.github.litestreamspring.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns Litestream startup failures into a description and the property to change.
 */
class LitestreamFailureAnalyzer extends AbstractFailureAnalyzer<LitestreamConfigurationException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, LitestreamConfigurationException cause) {
		String action = cause.getAction();
		if (cause.getProperty() != null) {
			action = action + " (property '" + cause.getProperty() + "')";
		}
		return new FailureAnalysis("Litestream replication could not start: " + cause.getMessage(), action, cause);
	}

}
