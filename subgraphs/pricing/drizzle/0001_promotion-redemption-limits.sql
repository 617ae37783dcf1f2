CREATE TABLE "promotion_redemptions" (
	"order_id" text PRIMARY KEY NOT NULL,
	"promotion_id" uuid NOT NULL,
	"customer_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "promotions" ADD COLUMN "max_redemptions" integer;--> statement-breakpoint
ALTER TABLE "promotions" ADD COLUMN "max_redemptions_per_customer" integer;--> statement-breakpoint
ALTER TABLE "promotions" ADD COLUMN "redemption_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "promotion_redemptions" ADD CONSTRAINT "promotion_redemptions_promotion_id_promotions_id_fk" FOREIGN KEY ("promotion_id") REFERENCES "public"."promotions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "promotion_redemptions_customer_idx" ON "promotion_redemptions" USING btree ("promotion_id","customer_id");--> statement-breakpoint
ALTER TABLE "promotions" ADD CONSTRAINT "promotions_redemptions_within_limit" CHECK ("promotions"."redemption_count" >= 0 and ("promotions"."max_redemptions" is null or "promotions"."redemption_count" <= "promotions"."max_redemptions"));