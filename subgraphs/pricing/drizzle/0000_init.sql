CREATE TYPE "public"."promotion_kind" AS ENUM('PERCENT_OFF', 'AMOUNT_OFF');--> statement-breakpoint
CREATE TABLE "price_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"product_id" text NOT NULL,
	"previous_amount" integer,
	"previous_currency" text,
	"previous_compare_at_amount" integer,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"compare_at_amount" integer,
	"changed_by" text,
	"changed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prices" (
	"product_id" text PRIMARY KEY NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"compare_at_amount" integer,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prices_amount_positive" CHECK ("prices"."amount" > 0),
	CONSTRAINT "prices_compare_at_above_amount" CHECK ("prices"."compare_at_amount" is null or "prices"."compare_at_amount" > "prices"."amount")
);
--> statement-breakpoint
CREATE TABLE "promotions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text,
	"description" text NOT NULL,
	"kind" "promotion_kind" NOT NULL,
	"value" integer NOT NULL,
	"currency" text,
	"min_subtotal" integer,
	"product_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"category_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "promotions_value_positive" CHECK ("promotions"."value" > 0),
	CONSTRAINT "promotions_percent_at_most_100" CHECK ("promotions"."kind" <> 'PERCENT_OFF' or "promotions"."value" <= 100),
	CONSTRAINT "promotions_ends_after_start" CHECK ("promotions"."ends_at" is null or "promotions"."ends_at" > "promotions"."starts_at"),
	CONSTRAINT "promotions_code_upper" CHECK ("promotions"."code" is null or "promotions"."code" = upper("promotions"."code"))
);
--> statement-breakpoint
CREATE TABLE "quotes" (
	"order_id" text PRIMARY KEY NOT NULL,
	"request_key" text NOT NULL,
	"quote" jsonb NOT NULL,
	"requested_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "price_changes_product_changed_at_idx" ON "price_changes" USING btree ("product_id","changed_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "promotions_code_key" ON "promotions" USING btree ("code");--> statement-breakpoint
CREATE INDEX "promotions_created_at_id_idx" ON "promotions" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "promotions_automatic_idx" ON "promotions" USING btree ("starts_at") WHERE "promotions"."code" is null and "promotions"."ended_at" is null;