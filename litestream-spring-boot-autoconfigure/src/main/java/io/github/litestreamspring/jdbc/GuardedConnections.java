package io.github.litestreamspring.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLTransientException;
import java.sql.Statement;

import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.lease.WriteRefusedException;

/**
 * The pool's physical connections, guarded: every write transaction passes the database's
 * {@link WriteGate} (while the lease is enabled) and {@link LitestreamBackpressure} (while it throttles or
 * fails writes).
 * <p>
 * Both act before the transaction's first write statement (every write statement in auto-commit mode),
 * so a waiting writer holds no SQLite lock — waiting in the commit hook instead would hold the write lock
 * and stall every other writer, the engine's checkpoints and a hand-over's final sync. Later statements
 * of a transaction that already wrote are never delayed for the same reason. The gate counts the
 * transaction from that first write until it ends: {@code commit()}, {@code rollback()},
 * {@code setAutoCommit(true)}, {@code close()}, SQL {@code COMMIT}/{@code END}/{@code ROLLBACK}, or the
 * return of the write statement in auto-commit mode. So when {@link WriteGate#awaitDrained} returns,
 * every admitted transaction has committed or rolled back.
 * <p>
 * Which statements write is judged by {@link WriteStatements}: while the gate is open, only surely writing
 * statements enter it; while it is paused or closed, every statement not known to be a read does. A
 * refusal reaches the application as {@link SQLTransientException} (paused too long: retry) or
 * {@link SQLNonTransientException} (closed: this instance no longer writes). Reads always pass. A prepared
 * statement is classified once, when it is prepared.
 */
final class GuardedConnections {

	private GuardedConnections() {
	}

	/**
	 * @param gate the database's write gate, or {@code null} (leases disabled)
	 * @param backpressure the enforced backpressure policy, or {@code null}
	 */
	static Connection wrap(Connection connection, WriteGate gate, LitestreamBackpressure backpressure) {
		return (Connection) Proxy.newProxyInstance(GuardedConnections.class.getClassLoader(),
				new Class<?>[] { Connection.class }, new ConnectionHandler(connection, gate, backpressure));
	}

	/** The refusal as the application sees it: the database, the cause and what to do. */
	static SQLException refusal(WriteRefusedException ex) {
		if (ex.isTransient()) {
			return new SQLTransientException("write refused: " + ex.getMessage() + "; retry the transaction (a lease"
					+ " hand-over normally ends within seconds; litestream.lease.handover-write-timeout bounds"
					+ " how long a writer waits for it)", ex);
		}
		return new SQLNonTransientException("write refused: " + ex.getMessage() + "; send writes to the instance"
				+ " that holds the database's lease (reads still work on this one)", ex);
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

		private final WriteGate gate;

		private final LitestreamBackpressure backpressure;

		/** A write already ran in the current transaction: it holds the write lock, never delay it. */
		private boolean wroteInTransaction;

		/** The current transaction is counted by the gate (one {@link WriteGate#exit()} owed). */
		private boolean inGate;

		ConnectionHandler(Connection target, WriteGate gate, LitestreamBackpressure backpressure) {
			this.target = target;
			this.gate = gate;
			this.backpressure = backpressure;
		}

		@Override
		public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
			String name = method.getName();
			boolean noArgs = args == null || args.length == 0;
			boolean setAutoCommit = "setAutoCommit".equals(name);
			boolean endsTransaction = ("commit".equals(name) || "rollback".equals(name)) && noArgs
					|| (setAutoCommit && Boolean.TRUE.equals(args[0])) || "close".equals(name) || "abort".equals(name);
			if (endsTransaction || setAutoCommit) {
				this.wroteInTransaction = false;
			}
			Object result;
			try {
				result = GuardedConnections.invoke(this.target, method, args);
			}
			finally {
				if (endsTransaction) {
					leaveGate();
				}
			}
			if (result instanceof Statement statement
					&& (name.startsWith("prepare") || "createStatement".equals(name))) {
				String sql = (args != null && args.length > 0 && args[0] instanceof String s) ? s : null;
				Class<?> type = (result instanceof CallableStatement) ? CallableStatement.class
						: (result instanceof PreparedStatement) ? PreparedStatement.class : Statement.class;
				return Proxy.newProxyInstance(GuardedConnections.class.getClassLoader(), new Class<?>[] { type },
						new StatementHandler(statement, sql, this, (Connection) proxy));
			}
			return result;
		}

		/**
		 * Before a statement with {@code flags} runs.
		 * @return whether the gate admitted the transaction for this statement
		 */
		boolean before(int flags) throws SQLException {
			boolean write = (flags & WriteStatements.WRITE) != 0;
			// Backpressure first: a throttled writer should not hold a place in the gate while it sleeps.
			if (write && this.backpressure != null && !this.wroteInTransaction) {
				this.backpressure.beforeWrite();
			}
			if (this.gate == null || this.inGate) {
				return false;
			}
			if (write || ((flags & WriteStatements.READ) == 0 && this.gate.state() != WriteGate.State.OPEN)) {
				try {
					this.gate.enter();
				}
				catch (WriteRefusedException ex) {
					throw refusal(ex);
				}
				this.inGate = true;
				return true;
			}
			return false;
		}

		/** After the statement returned or failed. */
		void after(int flags, boolean succeeded) throws SQLException {
			if ((flags & WriteStatements.ENDS) != 0) {
				this.wroteInTransaction = false;
				leaveGate();
				return;
			}
			if (!this.inGate && (flags & WriteStatements.WRITE) == 0) {
				return;
			}
			boolean autoCommit = this.target.getAutoCommit();
			if (succeeded && (flags & WriteStatements.WRITE) != 0) {
				this.wroteInTransaction = !autoCommit;
			}
			if (autoCommit) {
				leaveGate();
			}
		}

		private void leaveGate() {
			if (this.inGate) {
				this.inGate = false;
				this.gate.exit();
			}
		}

	}

	private static final class StatementHandler implements InvocationHandler {

		private static final int EMPTY_BATCH = WriteStatements.READ;

		private final Statement target;

		private final String preparedSql;

		/** Flags of the prepared SQL, classified once. */
		private final int preparedFlags;

		private final ConnectionHandler connection;

		private final Connection connectionProxy;

		/** WRITE if any statement of the batch writes, READ if all read. */
		private int batchFlags = EMPTY_BATCH;

		StatementHandler(Statement target, String preparedSql, ConnectionHandler connection, Connection proxy) {
			this.target = target;
			this.preparedSql = preparedSql;
			this.preparedFlags = WriteStatements.classify(preparedSql);
			this.connection = connection;
			this.connectionProxy = proxy;
		}

		@Override
		public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
			String name = method.getName();
			if ("getConnection".equals(name)) {
				return this.connectionProxy;
			}
			if (!name.startsWith("execute") && !"addBatch".equals(name) && !"clearBatch".equals(name)) {
				return GuardedConnections.invoke(this.target, method, args);
			}
			int flags = (args != null && args.length > 0 && args[0] instanceof String sql)
					? WriteStatements.classify(sql) : this.preparedFlags;
			if ("addBatch".equals(name)) {
				boolean write = ((this.batchFlags | flags) & WriteStatements.WRITE) != 0;
				boolean read = (this.batchFlags & flags & WriteStatements.READ) != 0;
				this.batchFlags = (write ? WriteStatements.WRITE : 0) | (read ? WriteStatements.READ : 0);
				return GuardedConnections.invoke(this.target, method, args);
			}
			boolean batch = name.endsWith("Batch");
			if (batch) {
				flags = this.batchFlags;
				this.batchFlags = EMPTY_BATCH;
				if ("clearBatch".equals(name)) {
					return GuardedConnections.invoke(this.target, method, args);
				}
			}
			this.connection.before(flags);
			boolean succeeded = false;
			try {
				Object result = GuardedConnections.invoke(this.target, method, args);
				succeeded = true;
				return result;
			}
			finally {
				this.connection.after(flags, succeeded);
			}
		}

	}

}
