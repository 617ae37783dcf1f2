import { sql } from 'drizzle-orm';
import { bigint, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { rowMapper } from '../src/db.ts';

const parcels = pgTable('parcels', {
  id: uuid('id').primaryKey(),
  weightGrams: integer('weight_grams').notNull(),
  trackingCode: text('tracking_code'),
  labels: jsonb('labels').$type<string[]>().notNull(),
  scans: bigint('scans', { mode: 'number' }).notNull(),
  shippedAt: timestamp('shipped_at', { withTimezone: true, precision: 3 }).default(sql`now()`),
});

describe('rowMapper', () => {
  const parcelFromRow = rowMapper(parcels);

  it('maps a raw row keyed by column names to the typed row drizzle gives', () => {
    const row = parcelFromRow({
      id: '0b6c7a4e-7d0e-4a4f-9a43-3f1f7f0c2f11',
      weight_grams: 1200,
      tracking_code: 'TRK-1',
      labels: '["fragile"]',
      scans: '3',
      shipped_at: '2026-03-01 09:30:00.125+00',
    });
    expect(row).toEqual({
      id: '0b6c7a4e-7d0e-4a4f-9a43-3f1f7f0c2f11',
      weightGrams: 1200,
      trackingCode: 'TRK-1',
      labels: ['fragile'],
      scans: 3,
      shippedAt: new Date('2026-03-01T09:30:00.125Z'),
    });
  });

  it('keeps nulls null', () => {
    const row = parcelFromRow({ id: 'x', weight_grams: 1, tracking_code: null, labels: [], scans: 0, shipped_at: null });
    expect(row.trackingCode).toBeNull();
    expect(row.shippedAt).toBeNull();
  });

  it('refuses a row that lacks a column of the table', () => {
    expect(() => parcelFromRow({ id: 'x', weight_grams: 1 })).toThrow(/no column tracking_code of the table parcels/);
  });
});
