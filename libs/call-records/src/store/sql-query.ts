import type { CallRecordQuery } from './call-record.store';

/** WHERE clause and parameters for a list query; `placeholder(n)` renders the n-th (1-based) parameter. */
export function listConditions(query: CallRecordQuery, placeholder: (n: number) => string): { where: string; params: (string | number)[] } {
  const conditions = ['record IS NOT NULL'];
  const params: (string | number)[] = [];
  const add = (sql: (p: string) => string, value: string) => {
    params.push(value);
    conditions.push(sql(placeholder(params.length)));
  };
  if (query.startedAfter) add((p) => `started_at >= ${p}`, canonicalTime(query.startedAfter));
  if (query.startedBefore) add((p) => `started_at < ${p}`, canonicalTime(query.startedBefore));
  if (query.from) add((p) => `from_number = ${p}`, query.from);
  if (query.to) add((p) => `to_number = ${p}`, query.to);
  if (query.endReason) add((p) => `end_reason = ${p}`, query.endReason);
  if (query.status) add((p) => `status = ${p}`, query.status);
  if (query.number) {
    params.push(query.number, query.number);
    conditions.push(`(from_number = ${placeholder(params.length - 1)} OR to_number = ${placeholder(params.length)})`);
  }
  return { where: conditions.join(' AND '), params };
}

/** Stored times are `toISOString()` text in SQLite, so bounds must use the very same form to compare. */
function canonicalTime(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`not a time: ${value}`);
  return new Date(time).toISOString();
}
