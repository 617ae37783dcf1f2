import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Shipping rates by destination zone: a base price per parcel plus a price per started kilogram.
 * Zone DOMESTIC is the shop's own country, EU the rest of the European Union, WORLD everything else;
 * a country-specific row (zone = the country code) wins over its zone.
 */
export const shippingRates = pgTable(
  'shipping_rates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    zone: text('zone').notNull(),
    carrier: text('carrier').notNull(),
    service: text('service').notNull(),
    baseAmount: integer('base_amount').notNull(),
    perKgAmount: integer('per_kg_amount').notNull(),
    currency: text('currency').notNull(),
    minDays: integer('min_days').notNull(),
    maxDays: integer('max_days').notNull(),
    /** Heaviest parcel this service takes. */
    maxWeightGrams: integer('max_weight_grams').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('shipping_rates_zone_service_key').on(t.zone, t.carrier, t.service),
    check('shipping_rates_amounts', sql`${t.baseAmount} >= 0 and ${t.perKgAmount} >= 0`),
    check('shipping_rates_days', sql`${t.minDays} >= 0 and ${t.maxDays} >= ${t.minDays}`),
    check('shipping_rates_weight', sql`${t.maxWeightGrams} > 0`),
  ],
);

export const schema = { shippingRates };
export type ShippingRateRow = typeof shippingRates.$inferSelect;
