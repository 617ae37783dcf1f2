import { isUuid } from './db.ts';
import { badInput } from './errors.ts';

/** The largest page a connection serves (DESIGN.md section 4). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Validates `first` (1..100, default 20) and decodes `after`. */
export function pageArgs<TCursor>(
  args: { first?: number | null; after?: string | null },
  decode: (parts: unknown[]) => TCursor,
): { first: number; after: TCursor | null } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  }
  if (args.after == null) return { first, after: null };
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(args.after, 'base64url').toString('utf8'));
  } catch {
    throw badInput('after is not a valid cursor', 'after');
  }
  if (!Array.isArray(parts)) throw badInput('after is not a valid cursor', 'after');
  try {
    return { first, after: decode(parts) };
  } catch {
    throw badInput('after is not a valid cursor', 'after');
  }
}

/** Encodes the sort key of a row as an opaque cursor. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/**
 * Builds a Relay connection from `rows`, fetched with `limit first + 1` so that one extra row tells
 * whether another page exists.
 */
export function toConnection<TRow>(rows: TRow[], first: number, cursorOf: (row: TRow) => unknown[]) {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/**
 * Decodes a `[createdAt ISO, id]` cursor, the usual keyset of "newest first" lists. The id must be a
 * UUID. Columns paged this way are `timestamp(3)`: a cursor carries milliseconds, and a column with
 * microseconds would make rows of the same millisecond skip or repeat across pages.
 */
export function decodeTimeIdCursor(parts: unknown[]): { createdAt: Date; id: string } {
  const [at, id] = parts;
  if (typeof at !== 'string' || typeof id !== 'string' || !isUuid(id)) throw new Error('bad cursor');
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
  return { createdAt, id };
}
