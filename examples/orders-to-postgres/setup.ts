/**
 * The orders example's data: the tables it needs, deterministic orders written to Redis streams,
 * and the check of the output table against what was written (used by main.ts and the tests).
 *
 * Order i goes to stream i mod S with customer (i × 7919) mod C and amount 1 + (i × 31) mod 100.
 * Customers whose id ends in 9 are not in the customers table (the lookup's left join gives
 * region 'unknown'); the others have region REGIONS[id mod 3].
 */
import type pg from 'pg';
import type { createClient } from 'redis';

export const REGIONS = ['eu', 'us', 'apac'] as const;

type RedisClient = ReturnType<typeof createClient>;
type PgQueryable = Pick<pg.Client, 'query'>;

export function orderFields(i: number, customers: number): { customer: number; amount: number } {
  return { customer: (i * 7919) % customers, amount: 1 + ((i * 31) % 100) };
}

export function regionOf(customer: number): string {
  return customer % 10 === 9 ? 'unknown' : REGIONS[customer % 3]!;
}

/** Creates (after dropping) the output table and the customers table with its rows. */
export async function createTables(db: PgQueryable, table: string, customersTable: string, customers: number): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query(`CREATE TABLE ${table} (
    stream text NOT NULL, entry_id text NOT NULL, customer integer NOT NULL, region text NOT NULL,
    amount bigint NOT NULL, customer_total bigint NOT NULL, PRIMARY KEY (stream, entry_id))`);
  await db.query(`DROP TABLE IF EXISTS ${customersTable}`);
  await db.query(`CREATE TABLE ${customersTable} (id integer PRIMARY KEY, region text NOT NULL)`);
  const ids = Array.from({ length: customers }, (_, id) => id).filter((id) => regionOf(id) !== 'unknown');
  await db.query(`INSERT INTO ${customersTable} (id, region) SELECT id, (ARRAY['eu','us','apac'])[id % 3 + 1] FROM unnest($1::integer[]) AS id`, [ids]);
}

/** Writes orders [from, to) to the streams (after deleting them when from = 0), pipelined. */
export async function writeOrders(redis: RedisClient, streams: readonly string[], from: number, to: number, customers: number): Promise<void> {
  if (from === 0) await redis.del([...streams]);
  const BATCH = 1000;
  for (let start = from; start < to; start += BATCH) {
    const batch = redis.multi();
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const { customer, amount } = orderFields(i, customers);
      batch.xAdd(streams[i % streams.length]!, '*', { customer: String(customer), amount: String(amount) });
    }
    await batch.execAsPipeline();
  }
}

interface Row { stream: string; entry_id: string; customer: number; region: string; amount: string; customer_total: string }

const idParts = (id: string): [number, number] => {
  const [ms, seq] = id.split('-');
  return [Number(ms), Number(seq)];
};
const byEntryId = (a: Row, b: Row): number => {
  const [am, as] = idParts(a.entry_id);
  const [bm, bs] = idParts(b.entry_id);
  return am - bm || as - bs;
};

/**
 * What is wrong with the output table after orders [0, n) went through the job (empty: nothing).
 * Checks every order is there once with its customer, amount and region (the k-th entry of
 * stream s is order s + k·S), and per customer that the totals form one chain ending at the sum.
 */
export async function checkTotals(db: PgQueryable, table: string, streams: readonly string[], n: number, customers: number): Promise<string[]> {
  const rows = (await db.query<Row>(`SELECT stream, entry_id, customer, region, amount::text, customer_total::text FROM ${table}`)).rows;
  const problems: string[] = [];
  if (rows.length !== n) problems.push(`${rows.length} rows, expected ${n}`);
  const perStream = new Map<string, Row[]>(streams.map((s) => [s, []]));
  for (const r of rows) {
    const list = perStream.get(r.stream);
    if (list) list.push(r);
    else problems.push(`a row of unknown stream ${r.stream}`);
  }
  for (const [s, list] of perStream) {
    list.sort(byEntryId);
    const si = streams.indexOf(s);
    list.forEach((r, k) => {
      const i = si + k * streams.length;
      const want = orderFields(i, customers);
      if (r.customer !== want.customer || Number(r.amount) !== want.amount || r.region !== regionOf(want.customer)) {
        if (problems.length < 20) problems.push(`${s} entry ${k} (${r.entry_id}): ${JSON.stringify(r)}, expected order ${i} ${JSON.stringify({ ...want, region: regionOf(want.customer) })}`);
      }
    });
  }
  const perCustomer = new Map<number, Row[]>();
  for (const r of rows) perCustomer.set(r.customer, [...(perCustomer.get(r.customer) ?? []), r]);
  const expectedSum = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const { customer, amount } = orderFields(i, customers);
    expectedSum.set(customer, (expectedSum.get(customer) ?? 0) + amount);
  }
  for (const [customer, sum] of expectedSum) {
    const chain = (perCustomer.get(customer) ?? []).sort((a, b) => Number(a.customer_total) - Number(b.customer_total));
    let total = 0;
    for (const r of chain) {
      total += Number(r.amount);
      if (Number(r.customer_total) !== total) {
        if (problems.length < 20) problems.push(`customer ${customer}: row ${r.stream}/${r.entry_id} has total ${r.customer_total}, the chain says ${total}`);
        break;
      }
    }
    if (total !== sum && problems.length < 20) problems.push(`customer ${customer}: amounts sum to ${total}, expected ${sum}`);
  }
  return problems;
}
