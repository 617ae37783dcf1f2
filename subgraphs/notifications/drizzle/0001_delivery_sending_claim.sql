ALTER TABLE "notification_deliveries" ADD COLUMN "sending_claim" uuid;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD COLUMN "sending_since" timestamp (3) with time zone;