CREATE TYPE "public"."model_status" AS ENUM('TRAINING', 'READY', 'FAILED');--> statement-breakpoint
CREATE TABLE "co_purchases" (
	"version" bigint NOT NULL,
	"product_id" text NOT NULL,
	"other_id" text NOT NULL,
	"count" integer NOT NULL,
	"score" double precision NOT NULL,
	CONSTRAINT "co_purchases_version_product_id_other_id_pk" PRIMARY KEY("version","product_id","other_id")
);
--> statement-breakpoint
CREATE TABLE "model_products" (
	"version" bigint NOT NULL,
	"product_id" text NOT NULL,
	"category_slug" text,
	"orders" integer DEFAULT 0 NOT NULL,
	"trend" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "model_products_version_product_id_pk" PRIMARY KEY("version","product_id")
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"version" bigserial PRIMARY KEY NOT NULL,
	"status" "model_status" DEFAULT 'TRAINING' NOT NULL,
	"as_of" timestamp (3) with time zone NOT NULL,
	"orders" integer DEFAULT 0 NOT NULL,
	"products" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"processed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "product_views" (
	"user_id" text NOT NULL,
	"product_id" text NOT NULL,
	"views" integer DEFAULT 1 NOT NULL,
	"last_viewed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "product_views_user_id_product_id_pk" PRIMARY KEY("user_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "purchases" (
	"order_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"purchased_at" timestamp (3) with time zone NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "purchases_order_id_product_id_pk" PRIMARY KEY("order_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "similar_products" (
	"version" bigint NOT NULL,
	"product_id" text NOT NULL,
	"other_id" text NOT NULL,
	"score" double precision NOT NULL,
	CONSTRAINT "similar_products_version_product_id_other_id_pk" PRIMARY KEY("version","product_id","other_id")
);
--> statement-breakpoint
ALTER TABLE "co_purchases" ADD CONSTRAINT "co_purchases_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_products" ADD CONSTRAINT "model_products_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "similar_products" ADD CONSTRAINT "similar_products_version_model_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."model_versions"("version") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "co_purchases_rank_idx" ON "co_purchases" USING btree ("version","product_id","score");--> statement-breakpoint
CREATE INDEX "model_products_trend_idx" ON "model_products" USING btree ("version","trend");--> statement-breakpoint
CREATE INDEX "model_versions_ready_idx" ON "model_versions" USING btree ("version") WHERE "model_versions"."status" = 'READY';--> statement-breakpoint
CREATE INDEX "product_views_recent_idx" ON "product_views" USING btree ("user_id","last_viewed_at");--> statement-breakpoint
CREATE INDEX "purchases_customer_idx" ON "purchases" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "purchases_at_idx" ON "purchases" USING btree ("purchased_at");--> statement-breakpoint
CREATE INDEX "similar_products_rank_idx" ON "similar_products" USING btree ("version","product_id","score");