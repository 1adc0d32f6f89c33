"""The CRM extracts of docs/contract.md section 1, as data.

One spec per extract: its columns with type and rules, its key, its references. The
loader turns these specs into SQL, so a rule is written once here and enforced the same
way for CSV and Parquet, for every extract. Eight extracts are required; the ninth,
``target_overrides``, is optional (no file: no overrides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "date", "decimal", "integer", "currency"]


@dataclass(frozen=True)
class Column:
    """One contract column. ``required``: null is a rule break. ``enum``: allowed values.
    ``not_blank``: a value of only whitespace is a rule break too (a reason that says
    nothing is no reason)."""

    name: str
    type: ColumnType = "text"
    required: bool = False
    enum: tuple[str, ...] | None = None
    money: bool = False
    positive: bool = False
    not_blank: bool = False


@dataclass(frozen=True)
class Reference:
    """``column`` must name an existing, accepted ``extract.key`` row (null allowed)."""

    column: str
    extract: str
    key: str


@dataclass(frozen=True)
class ExtractSpec:
    """One extract. ``may_be_empty``: a header-only file is allowed. ``optional``: the file
    may be absent, which loads as an empty raw table (dbt's source always exists)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    may_be_empty: bool = False
    depends_on: tuple[str, ...] = field(default=())
    optional: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


SENIORITY = ("junior", "mid", "senior", "principal")
STRATEGIC_FOCUS = ("new_logo", "expansion", "strategic")
SELLER_STATUS = ("active", "on_leave", "terminated")
SEGMENT = ("enterprise", "mid_market", "smb")

EXTRACTS: tuple[ExtractSpec, ...] = (
    ExtractSpec(
        name="fx_rates",
        key=("currency_iso",),
        columns=(
            Column("currency_iso", "currency", required=True),
            Column("rate_to_corporate", "decimal", required=True, positive=True),
        ),
        may_be_empty=True,
    ),
    ExtractSpec(
        name="fiscal_periods",
        key=("period",),
        columns=(
            Column("period", required=True),
            Column("fiscal_year", "integer", required=True),
            Column("start_date", "date", required=True),
            Column("end_date", "date", required=True),
        ),
    ),
    ExtractSpec(
        name="territories",
        key=("territory_id",),
        columns=(
            Column("territory_id", required=True),
            Column("territory_name", required=True),
            Column("parent_territory_id"),
            Column("level"),
        ),
        references=(Reference("parent_territory_id", "territories", "territory_id"),),
    ),
    ExtractSpec(
        name="sellers",
        key=("seller_id",),
        columns=(
            Column("seller_id", required=True),
            Column("seller_name", required=True),
            Column("territory_id", required=True),
            Column("role"),
            Column("seniority", required=True, enum=SENIORITY),
            Column("hire_date", "date", required=True),
            Column("ote_amount", "decimal", required=True, money=True),
            Column("currency_iso", "currency", required=True),
            Column("strategic_focus", enum=STRATEGIC_FOCUS),
            Column("status", required=True, enum=SELLER_STATUS),
        ),
        references=(Reference("territory_id", "territories", "territory_id"),),
        depends_on=("territories", "fx_rates"),
    ),
    ExtractSpec(
        name="accounts",
        key=("account_id",),
        columns=(
            Column("account_id", required=True),
            Column("account_name", required=True),
            Column("owner_seller_id"),
            Column("territory_id", required=True),
            Column("segment", required=True, enum=SEGMENT),
            Column("industry"),
            Column("annual_revenue", "decimal", money=True),
        ),
        references=(
            Reference("owner_seller_id", "sellers", "seller_id"),
            Reference("territory_id", "territories", "territory_id"),
        ),
        depends_on=("sellers", "territories"),
    ),
    ExtractSpec(
        name="account_targets",
        key=("account_id", "period"),
        columns=(
            Column("account_id", required=True),
            Column("period", required=True),
            Column("target_amount", "decimal", money=True),
            Column("currency_iso", "currency", required=True),
        ),
        references=(
            Reference("account_id", "accounts", "account_id"),
            Reference("period", "fiscal_periods", "period"),
        ),
        depends_on=("accounts", "fiscal_periods", "fx_rates"),
    ),
    ExtractSpec(
        name="quotas",
        key=("seller_id", "period"),
        columns=(
            Column("seller_id", required=True),
            Column("period", required=True),
            Column("quota_amount", "decimal", required=True, money=True),
            Column("currency_iso", "currency", required=True),
        ),
        references=(
            Reference("seller_id", "sellers", "seller_id"),
            Reference("period", "fiscal_periods", "period"),
        ),
        depends_on=("sellers", "fiscal_periods", "fx_rates"),
    ),
    ExtractSpec(
        name="topdown_targets",
        key=("territory_id", "period"),
        columns=(
            Column("territory_id", required=True),
            Column("period", required=True),
            Column("target_amount", "decimal", required=True, money=True),
            Column("currency_iso", "currency", required=True),
        ),
        references=(
            Reference("territory_id", "territories", "territory_id"),
            Reference("period", "fiscal_periods", "period"),
        ),
        may_be_empty=True,
        depends_on=("territories", "fiscal_periods", "fx_rates"),
    ),
    ExtractSpec(
        name="target_overrides",
        key=("account_id", "period"),
        columns=(
            Column("account_id", required=True),
            Column("period", required=True),
            Column("target_amount", "decimal", required=True, money=True),
            Column("currency_iso", "currency", required=True),
            Column("reason", required=True, not_blank=True),
            Column("overridden_by"),
        ),
        references=(
            Reference("account_id", "accounts", "account_id"),
            Reference("period", "fiscal_periods", "period"),
        ),
        may_be_empty=True,
        depends_on=("accounts", "fiscal_periods", "fx_rates"),
        optional=True,
    ),
)

EXTRACT_NAMES: tuple[str, ...] = tuple(spec.name for spec in EXTRACTS)
SPECS: dict[str, ExtractSpec] = {spec.name: spec for spec in EXTRACTS}
