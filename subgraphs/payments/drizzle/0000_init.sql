CREATE TYPE "public"."payment_event_kind" AS ENUM('AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND', 'DECLINE');--> statement-breakpoint
CREATE TYPE "public"."payment_status" AS ENUM('PENDING', 'AUTHORIZED', 'CAPTURED', 'DECLINED', 'VOIDED', 'REFUNDED', 'PARTIALLY_REFUNDED');--> statement-breakpoint
CREATE TYPE "public"."sandbox_charge_state" AS ENUM('AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED');--> statement-breakpoint
CREATE TYPE "public"."sandbox_operation_kind" AS ENUM('AUTHORIZATION', 'CAPTURE', 'VOID', 'REFUND');--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"payment_id" uuid NOT NULL,
	"kind" "payment_event_kind" NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"status_after" "payment_status" NOT NULL,
	"provider_ref" text,
	"reason" text,
	"actor" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"status" "payment_status" DEFAULT 'PENDING' NOT NULL,
	"request_key" text NOT NULL,
	"provider" text NOT NULL,
	"authorization_id" text,
	"card_brand" text,
	"card_last4" text,
	"decline_reason" text,
	"captured_amount" integer DEFAULT 0 NOT NULL,
	"refunded_amount" integer DEFAULT 0 NOT NULL,
	"refund_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."amount" > 0),
	CONSTRAINT "payments_captured_within_amount" CHECK ("payments"."captured_amount" >= 0 and "payments"."captured_amount" <= "payments"."amount"),
	CONSTRAINT "payments_refunded_within_captured" CHECK ("payments"."refunded_amount" >= 0 and "payments"."refunded_amount" <= "payments"."captured_amount")
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"sequence" integer NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"provider_refund_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_amount_positive" CHECK ("refunds"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "provider_charges" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"kind" "sandbox_operation_kind" NOT NULL,
	"charge_id" text,
	"reference" text,
	"token" text,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"state" "sandbox_charge_state",
	"captured_amount" integer DEFAULT 0 NOT NULL,
	"refunded_amount" integer DEFAULT 0 NOT NULL,
	"card_brand" text,
	"card_last4" text,
	"decline_code" text,
	"reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider_faults" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_events_payment_id_idx" ON "payment_events" USING btree ("payment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_order_id_key" ON "payments" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_payment_sequence_key" ON "refunds" USING btree ("payment_id","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_charges_idempotency_key_key" ON "provider_charges" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_charges_one_capture_per_charge" ON "provider_charges" USING btree ("charge_id") WHERE "provider_charges"."kind" = 'CAPTURE';--> statement-breakpoint
CREATE UNIQUE INDEX "provider_charges_one_void_per_charge" ON "provider_charges" USING btree ("charge_id") WHERE "provider_charges"."kind" = 'VOID';--> statement-breakpoint
CREATE INDEX "provider_charges_charge_id_idx" ON "provider_charges" USING btree ("charge_id");