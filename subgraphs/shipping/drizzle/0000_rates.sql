CREATE TABLE "shipping_rates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone" text NOT NULL,
	"carrier" text NOT NULL,
	"service" text NOT NULL,
	"base_amount" integer NOT NULL,
	"per_kg_amount" integer NOT NULL,
	"currency" text NOT NULL,
	"min_days" integer NOT NULL,
	"max_days" integer NOT NULL,
	"max_weight_grams" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipping_rates_amounts" CHECK ("shipping_rates"."base_amount" >= 0 and "shipping_rates"."per_kg_amount" >= 0),
	CONSTRAINT "shipping_rates_days" CHECK ("shipping_rates"."min_days" >= 0 and "shipping_rates"."max_days" >= "shipping_rates"."min_days"),
	CONSTRAINT "shipping_rates_weight" CHECK ("shipping_rates"."max_weight_grams" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "shipping_rates_zone_service_key" ON "shipping_rates" USING btree ("zone","carrier","service");