import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // The sandbox provider's ledger lives in the same database, in tables payments' own code never reads.
  schema: ['./src/db/schema.ts', './src/db/sandbox-schema.ts'],
  out: './drizzle',
});
