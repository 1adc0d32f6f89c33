"""planning_policy.yaml -> a validated, immutable Policy.

Every threshold of the pipeline lives in that one file (docs/contract.md section 2); the code
keeps no defaults of its own, so a key that is missing, unknown or out of range stops the
run with a one-line error that names the key, before any data is touched.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from quota_pipeline.errors import PolicyError

SENIORITIES = ("junior", "mid", "senior", "principal")
FOCUSES = ("new_logo", "expansion", "strategic", "none")
# Columns of the accounts extract that allocation may weight by or bucket on (section 3b).
NUMERIC_ACCOUNT_COLUMNS = ("annual_revenue",)
TEXT_ACCOUNT_COLUMNS = ("segment", "industry", "territory_id", "owner_seller_id")

Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskBands(_Strict):
    """Upper bounds of quota_to_capacity_ratio for low, medium and high; above is critical."""

    low: Positive
    medium: Positive
    high: Positive

    @model_validator(mode="after")
    def _ascending(self) -> RiskBands:
        if not self.low <= self.medium <= self.high:
            raise ValueError("bounds must ascend: low <= medium <= high")
        return self


class AbcTiers(_Strict):
    a: Annotated[float, Field(gt=0, le=1)]
    b: Annotated[float, Field(gt=0, le=1)]

    @model_validator(mode="after")
    def _ordered(self) -> AbcTiers:
        if self.a > self.b:
            raise ValueError("tier A bound must not exceed tier B bound")
        return self


class QuotaToOte(_Strict):
    min: Annotated[float, Field(ge=0)]
    max: Positive

    @model_validator(mode="after")
    def _ordered(self) -> QuotaToOte:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Quality(_Strict):
    """GX drift bands against the last published run, and how much of a failure to show."""

    row_count_band: Share
    target_total_band: Share
    max_null_target_share: Share
    sample_size: Annotated[int, Field(ge=1, le=50)]


class Alerts(_Strict):
    """Delivery of alerts to planning ops: attempts per channel and backoff between them."""

    attempts: Annotated[int, Field(ge=1, le=10)]
    backoff_seconds: Annotated[float, Field(ge=0, le=60)]
    timeout_seconds: Positive


class Allocation(_Strict):
    """How account targets are calculated from top-down targets (contract section 3b)."""

    targets_basis: Literal["bottom_up", "allocated"]
    method: Literal["even", "weighted", "bucketed"]
    weight_column: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    bucket_column: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    bucket_weights: dict[str, Annotated[float, Field(ge=0)]]

    @field_validator("weight_column")
    @classmethod
    def _numeric_account_column(cls, value: str) -> str:
        if value not in NUMERIC_ACCOUNT_COLUMNS:
            raise ValueError(
                f"{value!r} is not a numeric column of accounts "
                f"(expected one of {', '.join(NUMERIC_ACCOUNT_COLUMNS)})"
            )
        return value

    @field_validator("bucket_column")
    @classmethod
    def _text_account_column(cls, value: str) -> str:
        if value not in TEXT_ACCOUNT_COLUMNS:
            raise ValueError(
                f"{value!r} is not a text column of accounts "
                f"(expected one of {', '.join(TEXT_ACCOUNT_COLUMNS)})"
            )
        return value

    def integer_bucket_weights(self) -> dict[str, int]:
        """The bucket weights as exact integers in one scale (0.6, 0.3, 0.1 -> 6, 3, 1).

        Largest remainder compares R * w mod W on integers (docs/contract.md 3b), so the
        YAML's decimals are read as written (Decimal(str(x)), never the float's binary
        value) and scaled by the power of ten that makes every one of them whole.
        """
        exact = {bucket: Decimal(str(weight)) for bucket, weight in self.bucket_weights.items()}
        places = max((max(0, -int(w.as_tuple().exponent)) for w in exact.values()), default=0)
        scale = Decimal(10) ** places
        return {bucket: int(weight * scale) for bucket, weight in exact.items()}

    def dbt_vars(self) -> dict[str, Any]:
        """The allocation block as dbt ``--vars`` (bucket weights as exact integers)."""
        return {
            "targets_basis": self.targets_basis,
            "allocation_method": self.method,
            "weight_column": self.weight_column,
            "bucket_column": self.bucket_column,
            "bucket_weights": self.integer_bucket_weights(),
        }


class TargetSpread(_Strict):
    """Relative standard deviation of an account's outcome, by ABC tier (section 3c)."""

    a: Annotated[float, Field(ge=0)]
    b: Annotated[float, Field(ge=0)]
    c: Annotated[float, Field(ge=0)]


class AttainmentDesign(_Strict):
    """The healthy band of the expected share of sellers at quota."""

    min: Share
    max: Share

    @model_validator(mode="after")
    def _ordered(self) -> AttainmentDesign:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Outlook(_Strict):
    """Odds, fragility, fairness and change of each quota (contract section 3c)."""

    target_sd: TargetSpread
    attainment_design: AttainmentDesign
    max_stretch_deviation: Annotated[float, Field(ge=0)]
    min_peer_group: Annotated[int, Field(ge=1)]
    max_over_assignment: Positive
    relief_min_drop: Annotated[float, Field(ge=0)]


class Policy(_Strict):
    """The planning policy, every key required (the YAML file is the only copy)."""

    corporate_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    risk_bands: RiskBands
    ramp_curve: Annotated[list[Share], Field(min_length=1)]
    seniority_multiplier: dict[str, Positive]
    focus_multiplier: dict[str, Positive]
    high_value_min_target: Annotated[float, Field(ge=0)]
    min_high_value_accounts: Annotated[int, Field(ge=0)]
    max_top1_share: Share
    abc_tiers: AbcTiers
    quota_to_ote: QuotaToOte
    max_quarantine_share: Share
    quota_rounding: Annotated[int, Field(gt=0)]
    allocation: Allocation
    outlook: Outlook
    max_money_amount: Positive
    quality: Quality
    stale_after_hours: Positive
    alerts: Alerts
    keep_published_runs: Annotated[int, Field(ge=1, le=100)]

    @field_validator("seniority_multiplier")
    @classmethod
    def _seniorities(cls, value: dict[str, float]) -> dict[str, float]:
        return _exact_keys(value, SENIORITIES)

    @field_validator("focus_multiplier")
    @classmethod
    def _focuses(cls, value: dict[str, float]) -> dict[str, float]:
        return _exact_keys(value, FOCUSES)

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of the policy, for run fingerprints."""
        canonical = json.dumps(self.model_dump(), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def dbt_vars(self) -> dict[str, Any]:
        """The thresholds the dbt marts need, passed as ``--vars``."""
        return {
            "corporate_currency": self.corporate_currency,
            "abc_tier_a": self.abc_tiers.a,
            "abc_tier_b": self.abc_tiers.b,
            "high_value_min_target": self.high_value_min_target,
            # outlook spreads by ABC tier (docs/contract.md 3c), for target_spread_squared
            "target_sd_a": self.outlook.target_sd.a,
            "target_sd_b": self.outlook.target_sd.b,
            "target_sd_c": self.outlook.target_sd.c,
            # section 3b: the allocation block, and the null-target limit that applies to
            # final_target when targets_basis is allocated
            "max_null_target_share": self.quality.max_null_target_share,
            **self.allocation.dbt_vars(),
        }


def _exact_keys(value: dict[str, float], expected: tuple[str, ...]) -> dict[str, float]:
    missing = [key for key in expected if key not in value]
    unknown = [key for key in value if key not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        raise ValueError(f"{'; '.join(parts)} (expected {', '.join(expected)})")
    return value


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file; raise PolicyError with one line naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"{path}: cannot read policy file ({error.strerror})") from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise PolicyError(
            f"{path}:{line}: not UTF-8 (byte 0x{error.object[error.start]:02X})"
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise PolicyError(f"{path}{where}: {problem}") from None
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: expected a mapping of policy keys")
    try:
        return Policy.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown policy key"
        elif first["type"] == "missing":
            message = "required policy key is missing"
        more = len(error.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise PolicyError(f"{path}: {key}: {message}{suffix}") from None
