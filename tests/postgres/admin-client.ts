// One short connection per administrative statement (CREATE/DROP DATABASE): nothing stays open between tests,
// and on a loopback server with trust authentication a connection costs a few milliseconds.
import { Client } from 'pg';

export async function withAdminClient<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
