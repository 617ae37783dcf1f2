CREATE TYPE "public"."shipment_event_source" AS ENUM('SYSTEM', 'ADMIN', 'CARRIER');--> statement-breakpoint
CREATE TYPE "public"."shipment_status" AS ENUM('LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED');--> statement-breakpoint
CREATE TABLE "carrier_updates" (
	"tracking_number" text NOT NULL,
	"status" "shipment_status" NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"outcome" text NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "carrier_updates_tracking_number_status_occurred_at_pk" PRIMARY KEY("tracking_number","status","occurred_at")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp (3) with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "shipment_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "shipment_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"shipment_id" uuid NOT NULL,
	"status" "shipment_status" NOT NULL,
	"previous_status" "shipment_status",
	"location" text,
	"note" text,
	"source" "shipment_event_source" NOT NULL,
	"actor_user_id" text,
	"at" timestamp (3) with time zone NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shipments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"carrier" text NOT NULL,
	"service" text NOT NULL,
	"tracking_number" text NOT NULL,
	"status" "shipment_status" DEFAULT 'LABEL_CREATED' NOT NULL,
	"cost_amount" integer NOT NULL,
	"currency" text NOT NULL,
	"weight_grams" integer NOT NULL,
	"address" jsonb NOT NULL,
	"items" jsonb NOT NULL,
	"request_key" text NOT NULL,
	"estimated_delivery" timestamp (3) with time zone,
	"voided_at" timestamp (3) with time zone,
	"carrier_updated_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipments_weight" CHECK ("shipments"."weight_grams" >= 0),
	CONSTRAINT "shipments_cost" CHECK ("shipments"."cost_amount" >= 0)
);
--> statement-breakpoint
ALTER TABLE "shipment_events" ADD CONSTRAINT "shipment_events_shipment_id_shipments_id_fk" FOREIGN KEY ("shipment_id") REFERENCES "public"."shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("seq") WHERE "outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "shipment_events_shipment_id_idx" ON "shipment_events" USING btree ("shipment_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "shipments_order_id_key" ON "shipments" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "shipments_tracking_number_key" ON "shipments" USING btree ("tracking_number");--> statement-breakpoint
CREATE INDEX "shipments_moving_idx" ON "shipments" USING btree ("updated_at") WHERE "shipments"."voided_at" is null and "shipments"."status" in ('LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY');