CREATE TYPE "public"."tax_category" AS ENUM('STANDARD', 'REDUCED', 'SUPER_REDUCED', 'ZERO');--> statement-breakpoint
CREATE TABLE "product_tax_categories" (
	"product_id" text PRIMARY KEY NOT NULL,
	"tax_category" "tax_category" NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
