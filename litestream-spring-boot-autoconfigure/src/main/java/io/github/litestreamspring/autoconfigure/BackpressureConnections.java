package io.github.litestreamspring.autoconfigure;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Enforces {@link LitestreamBackpressure} on physical connections: before the first write statement of
 * a transaction (every write statement in auto-commit mode), the policy may delay or reject it.
 * <p>
 * The check happens before the statement runs, so a throttled writer holds no SQLite lock while it
 * waits — blocking in the commit hook instead would hold the write lock and stall every other writer
 * and the engine's checkpoints. Later statements of a transaction that already wrote are never delayed
 * for the same reason. Writes are recognised by the statement's first keyword ({@code INSERT},
 * {@code UPDATE}, {@code DELETE}, {@code REPLACE}, DDL, {@code BEGIN IMMEDIATE|EXCLUSIVE}, and
 * {@code WITH ...} containing one of the DML keywords); reads are never affected.
 */
final class BackpressureConnections {

	private static final Pattern FIRST_WORDS = Pattern
		.compile("\\A(?:\\s+|--[^\\n]*(?:\\n|\\z)|/\\*.*?\\*/)*(\\w+)(?:\\s+(\\w+))?", Pattern.DOTALL);

	private static final Pattern DML = Pattern.compile("\\b(INSERT|UPDATE|DELETE|REPLACE)\\b",
			Pattern.CASE_INSENSITIVE);

	private static final Set<String> WRITES = Set.of("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP",
			"ALTER", "VACUUM", "REINDEX", "ANALYZE");

	private BackpressureConnections() {
	}

	static Connection wrap(Connection connection, LitestreamBackpressure backpressure) {
		return (Connection) Proxy.newProxyInstance(BackpressureConnections.class.getClassLoader(),
				new Class<?>[] { Connection.class }, new ConnectionHandler(connection, backpressure));
	}

	/** Whether {@code sql} writes (or takes the write lock), judged by its first keywords. */
	static boolean isWrite(String sql) {
		if (sql == null) {
			return false;
		}
		Matcher m = FIRST_WORDS.matcher(sql);
		if (!m.lookingAt()) {
			return false;
		}
		String first = m.group(1).toUpperCase(Locale.ROOT);
		if (WRITES.contains(first)) {
			return true;
		}
		if ("BEGIN".equals(first)) {
			String second = (m.group(2) != null) ? m.group(2).toUpperCase(Locale.ROOT) : "";
			return "IMMEDIATE".equals(second) || "EXCLUSIVE".equals(second);
		}
		return "WITH".equals(first) && DML.matcher(sql).find();
	}

	private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
		try {
			return method.invoke(target, args);
		}
		catch (InvocationTargetException ex) {
			throw ex.getCause();
		}
	}

	private static final class ConnectionHandler implements InvocationHandler {

		private final Connection target;

		private final LitestreamBackpressure backpressure;

		/** A write already ran in the current transaction: it holds the write lock, never delay it. */
		private boolean wroteInTransaction;

		ConnectionHandler(Connection target, LitestreamBackpressure backpressure) {
			this.target = target;
			this.backpressure = backpressure;
		}

		@Override
		public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
			String name = method.getName();
			boolean endsTransaction = ("commit".equals(name) || "rollback".equals(name)) && (args == null || args.length == 0)
					|| "setAutoCommit".equals(name);
			if (endsTransaction) {
				this.wroteInTransaction = false;
			}
			Object result = BackpressureConnections.invoke(this.target, method, args);
			if (result instanceof Statement && (name.startsWith("prepare") || "createStatement".equals(name))) {
				String sql = (args != null && args.length > 0 && args[0] instanceof String s) ? s : null;
				Class<?> type = (result instanceof CallableStatement) ? CallableStatement.class
						: (result instanceof PreparedStatement) ? PreparedStatement.class : Statement.class;
				return Proxy.newProxyInstance(BackpressureConnections.class.getClassLoader(), new Class<?>[] { type },
						new StatementHandler((Statement) result, sql, this, (Connection) proxy));
			}
			return result;
		}

		void beforeWrite() throws java.sql.SQLException {
			if (!this.wroteInTransaction) {
				this.backpressure.beforeWrite();
			}
		}

		void wrote() throws java.sql.SQLException {
			this.wroteInTransaction = !this.target.getAutoCommit();
		}

	}

	private static final class StatementHandler implements InvocationHandler {

		private final Statement target;

		private final String preparedSql;

		private final ConnectionHandler connection;

		private final Connection connectionProxy;

		private boolean batchWrites;

		StatementHandler(Statement target, String preparedSql, ConnectionHandler connection, Connection proxy) {
			this.target = target;
			this.preparedSql = preparedSql;
			this.connection = connection;
			this.connectionProxy = proxy;
		}

		@Override
		public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
			String name = method.getName();
			if ("getConnection".equals(name)) {
				return this.connectionProxy;
			}
			String sql = (args != null && args.length > 0 && args[0] instanceof String s) ? s : this.preparedSql;
			if ("addBatch".equals(name)) {
				this.batchWrites |= isWrite(sql);
				return BackpressureConnections.invoke(this.target, method, args);
			}
			if ("clearBatch".equals(name)) {
				this.batchWrites = false;
			}
			boolean executes = name.startsWith("execute");
			boolean write = executes && (name.endsWith("Batch") ? this.batchWrites : isWrite(sql));
			if (write) {
				this.connection.beforeWrite();
			}
			Object result = BackpressureConnections.invoke(this.target, method, args);
			if (write) {
				this.connection.wrote();
				if (name.endsWith("Batch")) {
					this.batchWrites = false;
				}
			}
			return result;
		}

	}

}
