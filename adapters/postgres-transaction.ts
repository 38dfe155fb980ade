/** One transaction on one pooled PostgreSQL connection, shared by the catalog and its migrations. */
import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` between BEGIN and COMMIT; any error rolls back and is rethrown. A connection whose
 * ROLLBACK failed is in an unknown state, so it is destroyed instead of going back to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
