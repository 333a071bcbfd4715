"""Payments: fee schedules, the fee each case owes, payments (attempts on a provider's hosted
page, or taken at the counter), provider notifications acted on, refunds, receipts numbered per
tribunal and year, fee waivers, each tribunal's payment settings, the records of the built-in
sandbox provider; and on filings, whether a fee awaits payment

Revision ID: 0020_payments
Revises: 0019_hearing_self_tests
Create Date: 2026-12-04 15:11:37
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0020_payments"
down_revision: str | None = "0019_hearing_self_tests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_checkouts",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("client_reference", sa.String(length=80), nullable=False),
        sa.Column("success_url", sa.Text(), nullable=False),
        sa.Column("cancel_url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "confirming",
                "processing",
                "paid",
                "failed",
                "cancelled",
                "expired",
                name="sandboxcheckoutstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payment_reference", sa.String(length=40), nullable=False),
        sa.Column("failure_code", sa.String(length=40), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("expires_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settles_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_checkouts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_checkouts_idempotency_key")),
        sa.UniqueConstraint(
            "payment_reference", name=op.f("uq_sandbox_checkouts_payment_reference")
        ),
    )
    with op.batch_alter_table("sandbox_checkouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_checkouts_account_paid", ["account", "paid_at"], unique=False
        )

    op.create_table(
        "sandbox_notifications",
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("deliver_after", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_notifications")),
    )
    with op.batch_alter_table("sandbox_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_notifications_due", ["delivered_at", "deliver_after"], unique=False
        )

    op.create_table(
        "payment_settings",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("income_thresholds", sa.JSON(), nullable=False),
        sa.Column("waive_for_assistance", sa.Boolean(), nullable=False),
        sa.Column("part_waiver_band_percent", sa.Integer(), nullable=True),
        sa.Column("pay_within_days", sa.Integer(), nullable=False),
        sa.Column("refund_approval_above_cents", sa.Integer(), nullable=True),
        sa.Column("reconciliation_cutoff", sa.Time(), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_payment_settings_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_payment_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tribunal_id", name=op.f("pk_payment_settings")),
    )
    op.create_table(
        "receipt_counters",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_receipt_counters_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tribunal_id", "year", name=op.f("pk_receipt_counters")),
    )
    op.create_table(
        "sandbox_refunds",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("checkout_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("refund_reference", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["sandbox_checkouts.id"],
            name=op.f("fk_sandbox_refunds_checkout_id_sandbox_checkouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_refunds_idempotency_key")),
        sa.UniqueConstraint("refund_reference", name=op.f("uq_sandbox_refunds_refund_reference")),
    )
    with op.batch_alter_table("sandbox_refunds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_refunds_account_created", ["account", "created_at"], unique=False
        )

    op.create_table(
        "fees",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("case_type_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reduced_amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_fees_amount_not_negative")),
        sa.CheckConstraint(
            "reduced_amount_cents IS NULL OR "
            "(reduced_amount_cents >= 0 AND reduced_amount_cents < amount_cents)",
            name=op.f("ck_fees_reduced_below_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["case_type_id"],
            ["case_types.id"],
            name=op.f("fk_fees_case_type_id_case_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_fees_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_fees_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fees")),
        sa.UniqueConstraint(
            "case_type_id", "effective_from", name=op.f("uq_fees_case_type_id_effective_from")
        ),
    )
    with op.batch_alter_table("fees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fees_tribunal_case_type",
            ["tribunal_id", "case_type_id", "effective_from"],
            unique=False,
        )

    op.create_table(
        "fee_charges",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("fee_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reduced_amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("assessed_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("waived_cents", sa.Integer(), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "waived_cents >= 0 AND waived_cents <= amount_cents",
            name=op.f("ck_fee_charges_waived_range"),
        ),
        sa.ForeignKeyConstraint(
            ["fee_id"], ["fees.id"], name=op.f("fk_fee_charges_fee_id_fees"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_fee_charges_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_fee_charges_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_charges")),
        sa.UniqueConstraint("filing_id", name=op.f("uq_fee_charges_filing_id")),
    )
    op.create_table(
        "fee_waivers",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("household_income_cents", sa.Integer(), nullable=False),
        sa.Column("receives_assistance", sa.Boolean(), nullable=False),
        sa.Column("declared_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "approved",
                "part_approved",
                "refused",
                name="waiverstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_automatically", sa.Boolean(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("waived_cents", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "household_income_cents >= 0", name=op.f("ck_fee_waivers_income_not_negative")
        ),
        sa.CheckConstraint(
            "household_size >= 1", name=op.f("ck_fee_waivers_household_size_positive")
        ),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["fee_charges.id"],
            name=op.f("fk_fee_waivers_charge_id_fee_charges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_fee_waivers_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_fee_waivers_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_fee_waivers_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_fee_waivers_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_waivers")),
    )
    with op.batch_alter_table("fee_waivers", schema=None) as batch_op:
        batch_op.create_index("ix_fee_waivers_filing", ["filing_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_fee_waivers_tribunal_state", ["tribunal_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_fee_waivers_open",
            ["charge_id"],
            unique=True,
            sqlite_where=sa.text("state = 'requested'"),
            postgresql_where=sa.text("state = 'requested'"),
        )

    op.create_table(
        "payments",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card", "counter", "cheque", name="paymentmethod", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "created",
                "pending",
                "succeeded",
                "failed",
                "cancelled",
                "expired",
                "partly_refunded",
                "refunded",
                name="paymentstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("provider_payment_reference", sa.String(length=255), nullable=False),
        sa.Column("checkout_url", sa.Text(), nullable=False),
        sa.Column("expires_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("payer_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("settled_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=40), nullable=False),
        sa.Column("refunded_cents", sa.Integer(), nullable=False),
        sa.Column("next_check_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("cheque_number", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents",
            name=op.f("ck_payments_refunded_range"),
        ),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["fee_charges.id"],
            name=op.f("fk_payments_charge_id_fee_charges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_payments_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["users.id"], name=op.f("fk_payments_payer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_payments_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_payments_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
        sa.UniqueConstraint(
            "provider", "provider_reference", name=op.f("uq_payments_provider_provider_reference")
        ),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_filing", ["filing_id", "created_at"], unique=False)
        batch_op.create_index("ix_payments_next_check", ["next_check_at"], unique=False)
        batch_op.create_index(
            "ix_payments_tribunal_settled", ["tribunal_id", "settled_at"], unique=False
        )
        batch_op.create_index(
            "uq_payments_open_attempt",
            ["charge_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('created', 'pending')"),
            postgresql_where=sa.text("state IN ('created', 'pending')"),
        )

    op.create_table(
        "payment_notifications",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("notification_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_notifications_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
        sa.UniqueConstraint(
            "provider",
            "notification_id",
            name=op.f("uq_payment_notifications_provider_notification_id"),
        ),
    )
    op.create_table(
        "refunds",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "awaiting_approval",
                "pending",
                "succeeded",
                "failed",
                "rejected",
                name="refundstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_refunds_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_refunds_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_refunds_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_refunds_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_payment", ["payment_id"], unique=False)
        batch_op.create_index(
            "ix_refunds_tribunal_settled", ["tribunal_id", "settled_at"], unique=False
        )

    op.create_table(
        "receipts",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("payment", "refund", name="receiptkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fee_code", sa.String(length=40), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card", "counter", "cheque", name="paymentmethod", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("issued_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_receipts_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_receipts_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_receipts_refund_id_refunds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_receipts_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_receipts_refund_id")),
        sa.UniqueConstraint(
            "tribunal_id", "year", "number", name=op.f("uq_receipts_tribunal_id_year_number")
        ),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index("ix_receipts_filing", ["filing_id", "issued_at"], unique=False)
        batch_op.create_index(
            "uq_receipts_payment",
            ["payment_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'payment'"),
            postgresql_where=sa.text("kind = 'payment'"),
        )

    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_payment", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_filings_docket_awaiting_payment",
            ["tribunal_id", "submitted_at", "id"],
            unique=False,
            sqlite_where=sa.text("awaiting_payment"),
            postgresql_where=sa.text("awaiting_payment"),
        )


def downgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_filings_docket_awaiting_payment",
            sqlite_where=sa.text("awaiting_payment"),
            postgresql_where=sa.text("awaiting_payment"),
        )
        batch_op.drop_column("awaiting_payment")

    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_receipts_payment",
            sqlite_where=sa.text("kind = 'payment'"),
            postgresql_where=sa.text("kind = 'payment'"),
        )
        batch_op.drop_index("ix_receipts_filing")

    op.drop_table("receipts")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_tribunal_settled")
        batch_op.drop_index("ix_refunds_payment")

    op.drop_table("refunds")
    op.drop_table("payment_notifications")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_open_attempt",
            sqlite_where=sa.text("state IN ('created', 'pending')"),
            postgresql_where=sa.text("state IN ('created', 'pending')"),
        )
        batch_op.drop_index("ix_payments_tribunal_settled")
        batch_op.drop_index("ix_payments_next_check")
        batch_op.drop_index("ix_payments_filing")

    op.drop_table("payments")
    with op.batch_alter_table("fee_waivers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_fee_waivers_open",
            sqlite_where=sa.text("state = 'requested'"),
            postgresql_where=sa.text("state = 'requested'"),
        )
        batch_op.drop_index("ix_fee_waivers_tribunal_state")
        batch_op.drop_index("ix_fee_waivers_filing")

    op.drop_table("fee_waivers")
    op.drop_table("fee_charges")
    with op.batch_alter_table("fees", schema=None) as batch_op:
        batch_op.drop_index("ix_fees_tribunal_case_type")

    op.drop_table("fees")
    with op.batch_alter_table("sandbox_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_refunds_account_created")

    op.drop_table("sandbox_refunds")
    op.drop_table("receipt_counters")
    op.drop_table("payment_settings")
    with op.batch_alter_table("sandbox_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_notifications_due")

    op.drop_table("sandbox_notifications")
    with op.batch_alter_table("sandbox_checkouts", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_checkouts_account_paid")

    op.drop_table("sandbox_checkouts")
