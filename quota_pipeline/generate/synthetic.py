"""Realistic synthetic CRM extracts (docs/contract.md section 1), deterministic per seed.

``generate_extracts`` writes the extract files that ``quota-pipeline run`` reads: the eight
required ones and a small ``target_overrides``.
Everything is drawn from one ``numpy.random.Generator(PCG64(seed))`` in a fixed order and
built with numpy and Polars column operations (no per-row Python), so the same seed gives
byte-identical files and a million accounts take seconds. ``account_targets`` is built and
written one fiscal period at a time, which keeps memory flat at ten million accounts.

What the data looks like:

- territories: ``GLOBAL`` -> 4 regions -> areas -> leaf territories (about one leaf per
  8 sellers). An area decides the currency (AMER West: USD, Canada: CAD, DACH: EUR, ...).
- sellers live in leaf territories; 8% are ramping (hired around 2026-02-01, some after
  the period start), 6% terminated, 4% on leave; a few active sellers own no accounts.
- accounts mostly belong to a seller of their own leaf; 5% are unassigned, and those owned
  by terminated sellers are simply left with them, as in a real CRM.
- account targets have a believable size per segment (a quarter: enterprise six figures,
  mid-market tens of thousands, SMB a few thousand), heavy-tailed, so a few accounts
  carry most of a seller's number; enterprise accounts go mostly to senior sellers. Only
  part of the accounts has a bottom-up target: many long-tail SMB accounts are planned at
  0 (no potential this year), a few leaf territories have not planned most of theirs yet
  (empty amounts, for the allocation of docs/contract.md 3b to fill), and a few
  account-periods have no row.
- quotas are set against what the accounts support once ramp, seniority and focus are
  taken in (the policy's multipliers, as section 3 computes adjusted capacity): most
  sellers at or below it, about a fifth above, a few sellers with no book or an
  un-ramped quota as clear problems. OTE follows the quota so quota-to-OTE mostly lies
  inside the policy's range, with a few sellers outside it.
- top-down targets for the root, every region, a few areas (always those holding the
  unplanned leaves) and a few leaves, nested: the planned potential x 0.90-1.02 (one
  factor a territory, 2 % either way a quarter).
- target_overrides: a few planners' manual values, each with its reason.

Money: account targets are in the currency of the account's territory (yen amounts are
whole yen), quotas and OTE in the seller's, top-down targets in the corporate currency.
``annual_revenue`` has no currency column, so it is stated in the corporate currency.
Money columns are DECIMAL(18,2) (CSV: plain ``1234.50``). The corporate currency is left
out of ``fx_rates`` on purpose (the contract reads an absent corporate currency as rate
1); the other rates derive from USD_RATES, so any of those currencies can be corporate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from quota_pipeline.errors import UsageError
from quota_pipeline.ingest.specs import (
    EXTRACT_NAMES,
    SEGMENT,
    SELLER_STATUS,
    SENIORITY,
    SPECS,
    STRATEGIC_FOCUS,
)
from quota_pipeline.policy import Policy, load_policy
from quota_pipeline.settings import PROJECT_ROOT

FORMATS: tuple[str, ...] = ("csv", "parquet")

MONEY = pl.Decimal(18, 2)
PARQUET_ROW_GROUP = 1_000_000

# One unit of the currency in USD; the corporate currency's rates derive from these.
USD_RATES: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "JPY": 0.0067,
    "CAD": 0.73,
    "BRL": 0.18,
    "AUD": 0.66,
}
CURRENCIES: tuple[str, ...] = tuple(USD_RATES)
# Minor units: yen amounts are whole yen, the rest have cents.
MINOR_UNITS: dict[str, int] = {"JPY": 0}

# Fiscal year 2027 starts 2026-02-01.
FISCAL_YEAR = 2027
PERIODS: tuple[tuple[str, str, str], ...] = (
    ("FY2027-Q1", "2026-02-01", "2026-04-30"),
    ("FY2027-Q2", "2026-05-01", "2026-07-31"),
    ("FY2027-Q3", "2026-08-01", "2026-10-31"),
    ("FY2027-Q4", "2026-11-01", "2027-01-31"),
)
# Seasonality of account targets by quarter (Q4 is the big one).
SEASONALITY: tuple[float, ...] = (0.92, 1.0, 0.96, 1.15)
PLAN_START = np.datetime64("2026-02-01", "D")


@dataclass(frozen=True)
class Region:
    """A region of the hierarchy and its areas as (name, currency), used in this order."""

    territory_id: str
    name: str
    weight: float
    legal_forms: tuple[str, ...]
    areas: tuple[tuple[str, str], ...]


REGIONS: tuple[Region, ...] = (
    Region(
        "AMER",
        "Americas",
        0.40,
        (", Inc.", " LLC", " Corp.", " Inc."),
        (
            ("West", "USD"),
            ("East", "USD"),
            ("Canada", "CAD"),
            ("Central", "USD"),
            ("Northeast", "USD"),
            ("Southeast", "USD"),
            ("Ontario & Quebec", "CAD"),
        ),
    ),
    Region(
        "EMEA",
        "Europe, Middle East & Africa",
        0.30,
        (" GmbH", " Ltd", " S.A.", " B.V.", " AG", " plc"),
        (
            ("DACH", "EUR"),
            ("UK & Ireland", "GBP"),
            ("France & Benelux", "EUR"),
            ("Southern Europe", "EUR"),
            ("Nordics", "EUR"),
            ("UK North", "GBP"),
        ),
    ),
    Region(
        "APAC",
        "Asia Pacific",
        0.20,
        (" Pty Ltd", " K.K.", " Co., Ltd.", " Limited"),
        (("ANZ", "AUD"), ("Japan", "JPY"), ("Kansai", "JPY"), ("Australia West", "AUD")),
    ),
    Region(
        "LATAM",
        "Latin America",
        0.10,
        (" Ltda.", " S.A.", " S.A. de C.V."),
        (("Brasil Sudeste", "BRL"), ("São Paulo", "BRL"), ("Brasil Sul", "BRL")),
    ),
)
LEAVES_PER_AREA = 6
MIN_AREAS_PER_REGION = 3
SELLERS_PER_LEAF = 8

FIRST_NAMES: tuple[str, ...] = (
    "Aisha", "Akira", "Alejandro", "Amelia", "Ana", "Arjun", "Beatriz", "Camille", "Chen",
    "Chloe", "Daniel", "David", "Elena", "Emma", "Fatima", "Felipe", "Grace", "Hannah",
    "Hiroshi", "Ines", "Isabel", "Jack", "James", "Jonas", "Julia", "Kenji", "Lars", "Laura",
    "Liam", "Lucas", "Maria", "Mateo", "Mei", "Noah", "Olivia", "Omar", "Priya", "Rafael",
    "Sara", "Sofia", "Thomas", "Yuki", "Zoe", "O'Neil",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Andersen", "Becker", "Brown", "Carvalho", "Chen", "Costa", "Dubois", "Fernandes",
    "Fischer", "Garcia", "Gonzalez", "Hansen", "Ito", "Johnson", "Kim", "Kowalski", "Lee",
    "Lopez", "Martin", "Meyer", "Miller", "Moreau", "Müller", "Nakamura", "Nguyen",
    "O'Brien", "Patel", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki",
    "Tanaka", "Taylor", "Van Dijk", "Wagner", "Walker", "Williams", "Wilson", "Yamamoto",
)  # fmt: skip
NAME_STEMS: tuple[str, ...] = (
    "Acme", "Apex", "Atlas", "Aurora", "Beacon", "Blue Harbor", "Bright", "Cascade",
    "Cedar", "Clearwater", "Cobalt", "Crescent", "Delta", "Evergreen", "Falcon", "Frontier",
    "Global", "Granite", "Harbor", "Horizon", "Iron Ridge", "Keystone", "Lakeside", "Maple",
    "Meridian", "Northwind", "Nova", "Oakridge", "Orion", "Pacific", "Pinnacle", "Polar",
    "Quantum", "Redwood", "Riverstone", "Silverline", "Summit", "Sunrise", "Tidewater",
    "Titan", "Trident", "Unity", "Vertex", "Westbrook", "Zenith",
)  # fmt: skip
NAME_CORES: tuple[str, ...] = (
    "Analytics", "Bank", "Biotech", "Capital", "Chemicals", "Energy", "Foods", "Freight",
    "Health", "Holdings", "Insurance", "Labs", "Logistics", "Manufacturing", "Media",
    "Motors", "Networks", "Pharma", "Retail", "Robotics", "Software", "Systems",
    "Telecom", "Textiles", "Utilities",
)  # fmt: skip
INDUSTRIES: tuple[str, ...] = (
    "Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
    "Telecommunications", "Energy", "Media", "Logistics", "Public Sector", "Education",
    "Life Sciences",
)  # fmt: skip
INDUSTRY_WEIGHTS: tuple[float, ...] = (
    0.16, 0.13, 0.11, 0.12, 0.10, 0.06, 0.05, 0.05, 0.07, 0.05, 0.04, 0.06,
)  # fmt: skip

# Roles by seniority: two choices each, drawn 50/50.
ROLES: dict[str, tuple[str, str]] = {
    "junior": ("Commercial Account Executive", "Account Executive"),
    "mid": ("Account Executive", "Senior Account Executive"),
    "senior": ("Senior Account Executive", "Enterprise Account Executive"),
    "principal": ("Enterprise Account Executive", "Strategic Account Director"),
}
SENIORITY_MIX: tuple[float, ...] = (0.25, 0.40, 0.25, 0.10)
# Annual OTE in USD by seniority (uniform between the bounds).
OTE_USD: dict[str, tuple[float, float]] = {
    "junior": (120_000, 160_000),
    "mid": (150_000, 200_000),
    "senior": (190_000, 250_000),
    "principal": (240_000, 300_000),
}
FOCUS_MIX: tuple[float, ...] = (0.25, 0.30, 0.15)  # new_logo, expansion, strategic; rest null
STATUS_MIX: tuple[float, ...] = (0.90, 0.04, 0.06)  # active, on_leave, terminated
RAMPING_SHARE = 0.08
MIN_SELLERS_FOR_MIX = 10  # from this many sellers on, every status and seniority occurs
NO_BOOK_SHARE = 0.02  # active sellers who own no account (quota without targets)
TERMINATED_WITH_QUOTA = 0.35

SEGMENT_MIX: tuple[float, ...] = (0.022, 0.08, 0.898)  # enterprise, mid_market, smb
# Per-quarter target in USD: lognormal (median, sigma) by segment.
TARGET_USD: tuple[tuple[float, float], ...] = (
    (140_000.0, 0.45),
    (9_000.0, 0.6),
    (2_200.0, 0.6),
)
NO_POTENTIAL_SMB = 0.65  # long-tail SMB accounts planned at 0 this year
# How strongly each seniority attracts accounts of each segment (rows: segment).
OWNER_WEIGHT: tuple[tuple[float, ...], ...] = (
    (0.05, 0.9, 1.6, 2.4),
    (1.4, 1.2, 0.9, 0.5),
    (1.8, 1.0, 0.7, 0.4),
)
UNASSIGNED_SHARE = 0.05
FOREIGN_OWNER_SHARE = 0.03  # owned by a seller of another leaf territory
MISSING_TARGET_ROW = 0.004
EMPTY_TARGET = 0.004
# Leaf territories that have not planned most accounts yet: empty amounts (and a few
# missing rows), the input the allocation of docs/contract.md 3b fills top-down.
UNPLANNED_LEAF_SHARE = 0.12
UNPLANNED_EMPTY = 0.70
UNPLANNED_MISSING_ROW = 0.05
EMPTY_REVENUE = 0.08
MAX_REVENUE = 9e11  # stays below the policy's max_money_amount

# quota / adjusted capacity: (share of sellers, low, high). The bands fall inside the
# default policy's risk bands (low up to 1.00, medium 1.10, high 1.25), with margins so
# rounding and the per-quarter jitter keep a seller in its band.
QUOTA_FACTORS: tuple[tuple[float, float, float], ...] = (
    (0.64, 0.80, 0.98),
    (0.21, 1.02, 1.08),
    (0.09, 1.13, 1.22),
    (0.06, 1.30, 1.70),
)
UNRAMPED_SHARE = 1 / 3  # ramping sellers whose quota ignores their ramp (a clear problem)
# annual quota / OTE: most sellers inside the policy's range, a few outside
OTE_INSIDE_MARGIN = (0.4, 0.6)  # drawn between min + 0.4 and max - 0.6
OTE_OUTSIDE_SHARE = 0.06
TOPDOWN_FACTOR = (0.90, 1.02)  # per territory, steady over the year
TOPDOWN_QUARTER_JITTER = (0.98, 1.02)
TOPDOWN_AREAS = 6
TOPDOWN_LEAVES = 4

# target_overrides: planners' manual values (docs/contract.md 3b)
OVERRIDE_SHARE = 0.002  # of account-periods
MIN_OVERRIDES = 3
OVERRIDE_REASONS: tuple[str, ...] = (
    "churn risk: renewal at risk",
    "expansion signed early",
    "merged into parent account",
    "budget confirmed by customer",
    "strategic logo: executive sponsor commitment",
    "new product line launch",
)
PLANNERS: tuple[str | None, ...] = ("j.moreau", "a.patel", "k.tanaka", "m.silva", None)


class GenerateError(UsageError, ValueError):
    """A bad argument to ``generate_extracts``: a ValueError, and exit 2 from the CLI."""


@dataclass(frozen=True)
class _Hierarchy:
    frame: pl.DataFrame
    leaf_ids: pl.Series
    leaf_region: np.ndarray
    leaf_area: np.ndarray  # index into area_ids
    leaf_currency: np.ndarray  # index into CURRENCIES
    area_ids: pl.Series

    @property
    def leaves(self) -> int:
        return len(self.leaf_ids)


@dataclass(frozen=True)
class _Sellers:
    ids: pl.Series
    leaf: np.ndarray
    seniority: np.ndarray
    status: np.ndarray
    currency: np.ndarray
    ote_usd: np.ndarray
    book_weight: np.ndarray  # 0 for sellers who own no account
    hire: np.ndarray  # datetime64[D]
    focus: np.ndarray  # index into (*STRATEGIC_FOCUS, none)


@dataclass(frozen=True)
class _Accounts:
    ids: pl.Series
    leaf: np.ndarray
    owner: np.ndarray  # seller index, -1 = unassigned
    currency: np.ndarray
    base_target_usd: np.ndarray
    planned: np.ndarray  # False: the account's leaf has not planned it yet


def generate_extracts(
    out_dir: Path,
    accounts: int = 10_000,
    sellers: int | None = None,
    seed: int = 7,
    fmt: Literal["csv", "parquet"] = "csv",
    corporate_currency: str = "USD",
    *,
    overrides: bool = True,
    policy: Policy | None = None,
) -> dict[str, int]:
    """Write the extracts as ``<extract>.<fmt>`` into ``out_dir``; rows per extract.

    ``sellers`` defaults to ``max(3, accounts // 100)``. A file of the other format for
    the same extract is removed, so the folder holds exactly one file per extract;
    ``overrides=False`` leaves the optional target_overrides out (and removes a stale one).
    Quotas and OTE are set against ``policy`` (default: the project's planning_policy.yaml)
    so the org's risk levels and quota-to-OTE look like a real plan under it. The same
    arguments always give byte-identical files.
    """
    n_sellers = _check_arguments(accounts, sellers, fmt, corporate_currency)
    policy = policy or load_policy(PROJECT_ROOT / "planning_policy.yaml")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))

    fx = _fx_rates(corporate_currency)
    rate_to_corp = np.array(
        [1.0 if c == corporate_currency else fx[c] for c in CURRENCIES], dtype=np.float64
    )
    usd_rate = np.array([USD_RATES[c] for c in CURRENCIES], dtype=np.float64)

    n_leaves = max(4, round(n_sellers / SELLERS_PER_LEAF))
    hierarchy = _territories(n_leaves)
    fx_frame = pl.DataFrame(
        {
            "currency_iso": list(fx),
            "rate_to_corporate": pl.Series(list(fx.values()), dtype=pl.Float64),
        },
        schema={"currency_iso": pl.String, "rate_to_corporate": pl.Float64},
    )
    rows = {
        "fx_rates": _write(out_dir, "fx_rates", fmt, fx_frame),
        "fiscal_periods": _write(out_dir, "fiscal_periods", fmt, _fiscal_periods()),
        "territories": _write(out_dir, "territories", fmt, hierarchy.frame),
    }
    # The sellers frame is written once quotas are known (OTE follows the quota); the
    # other frames are written as soon as they exist and then dropped. The numpy columns
    # kept in _Sellers and _Accounts are what the later extracts derive from.
    seller_frame, seller_data = _sellers(rng, n_sellers, hierarchy, usd_rate)
    unplanned = _unplanned_leaves(rng, hierarchy)
    frame, account_data = _accounts(
        rng, accounts, hierarchy, seller_data, USD_RATES[corporate_currency], unplanned
    )
    rows["accounts"] = _write(out_dir, "accounts", fmt, frame)
    del frame

    # Targets stream out one period at a time; the rollups quotas and top-down targets
    # need are accumulated on the way (in corporate currency).
    rollups = _Rollups.empty(n_sellers, hierarchy.leaves)
    target_chunks = _account_targets(rng, account_data, usd_rate, rate_to_corp, rollups)
    rows["account_targets"] = _write_chunks(out_dir, "account_targets", fmt, target_chunks)
    quota_local = _quotas(rng, seller_data, rollups.sat, rate_to_corp, corporate_currency, policy)
    quotas = _quota_frame(rng, seller_data, quota_local)
    ote_local = _ote(rng, seller_data, quota_local, rate_to_corp, policy)
    seller_frame = seller_frame.with_columns(ote_amount=_money(ote_local))
    rows["sellers"] = _write(out_dir, "sellers", fmt, seller_frame)
    rows["quotas"] = _write(out_dir, "quotas", fmt, quotas)
    topdown = _topdown_targets(rng, hierarchy, rollups.potential, corporate_currency, unplanned)
    rows["topdown_targets"] = _write(out_dir, "topdown_targets", fmt, topdown)
    if overrides:
        frame = _target_overrides(rng, account_data, usd_rate)
        rows["target_overrides"] = _write(out_dir, "target_overrides", fmt, frame)
    else:
        for other in FORMATS:
            (out_dir / f"target_overrides.{other}").unlink(missing_ok=True)
    return {name: rows[name] for name in EXTRACT_NAMES if name in rows}


def _check_arguments(accounts: int, sellers: int | None, fmt: str, corporate_currency: str) -> int:
    """The number of sellers, after refusing bad arguments with one line each."""
    if accounts < 1:
        raise GenerateError(f"accounts must be at least 1, got {accounts}")
    n_sellers = max(3, accounts // 100) if sellers is None else sellers
    if n_sellers < 1:
        raise GenerateError(f"sellers must be at least 1, got {n_sellers}")
    if fmt not in FORMATS:
        raise GenerateError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if corporate_currency not in USD_RATES:
        known = ", ".join(sorted(USD_RATES))
        raise GenerateError(
            f"corporate currency must be one of {known}, got {corporate_currency!r}"
        )
    return n_sellers


@dataclass(frozen=True)
class _Rollups:
    """Corporate-currency sums the later extracts derive from, filled period by period:
    ``sat`` (seller x period, as the contract counts it: empty amounts as 0) and
    ``potential`` (leaf x period, with the amounts not planned yet: what the top-down
    planners expect)."""

    sat: np.ndarray
    potential: np.ndarray

    @classmethod
    def empty(cls, sellers: int, leaves: int) -> _Rollups:
        return cls(np.zeros((sellers, len(PERIODS))), np.zeros((leaves, len(PERIODS))))


# --------------------------------------------------------------------------- writing


def _target_path(out_dir: Path, name: str, fmt: str) -> Path:
    """``<name>.<fmt>``, after removing a stale file of the other format."""
    for other in FORMATS:
        if other != fmt:
            (out_dir / f"{name}.{other}").unlink(missing_ok=True)
    return out_dir / f"{name}.{fmt}"


def _write(out_dir: Path, name: str, fmt: str, frame: pl.DataFrame) -> int:
    """Write one extract, columns in the spec's order; rows written."""
    path = _target_path(out_dir, name, fmt)
    frame = frame.select(SPECS[name].column_names)
    if fmt == "csv":
        frame.write_csv(path, date_format="%Y-%m-%d", null_value="")
    else:
        frame.write_parquet(path, compression="zstd")
    return frame.height


def _write_chunks(out_dir: Path, name: str, fmt: str, chunks: Iterable[pl.DataFrame]) -> int:
    """Write chunks of one schema as one extract file, holding one chunk at a time."""
    path = _target_path(out_dir, name, fmt)
    columns = SPECS[name].column_names
    rows = 0
    if fmt == "csv":
        with path.open("wb") as handle:
            for index, chunk in enumerate(chunks):
                chunk.select(columns).write_csv(
                    handle, include_header=index == 0, date_format="%Y-%m-%d", null_value=""
                )
                rows += chunk.height
                del chunk  # not alive while the next one is built
        return rows
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in chunks:
            for piece in chunk.select(columns).iter_slices(PARQUET_ROW_GROUP):
                table = piece.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                writer.write_table(table, row_group_size=PARQUET_ROW_GROUP)
                del piece, table
            rows += chunk.height
            del chunk  # not alive while the next one is built
    finally:
        if writer is not None:
            writer.close()
    return rows


# --------------------------------------------------------------------------- helpers


def _choice(
    rng: np.random.Generator, n: int, weights: tuple[float, ...] | np.ndarray
) -> np.ndarray:
    """n indices drawn with the given (not necessarily normalised) weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    picks = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
    return np.minimum(picks, len(cumulative) - 1).astype(np.int64)


def _shuffled(
    rng: np.random.Generator, n: int, shares: Sequence[float], every_label: bool
) -> np.ndarray:
    """Labels 0..k-1 in exact proportions (floor of share x n, the first label taking the
    rest; at least one of each when ``every_label``), in random order."""
    counts = np.floor(np.asarray(shares) / sum(shares) * n).astype(np.int64)
    if every_label:
        counts = np.maximum(counts, 1)
    counts[0] += n - counts.sum()
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _pick(values: tuple[str, ...] | list[str], index: np.ndarray) -> pl.Series:
    """Strings ``values[index]`` as a Polars Series, without a Python loop over rows."""
    return pl.Series(values, dtype=pl.String).gather(index)


def _ids(prefix: str, n: int, width: int) -> pl.Series:
    """``prefix`` + 1..n zero-padded to ``width`` digits (wider if n needs it)."""
    offset = 10 ** max(width, len(str(n)))
    # offset + i is "1" followed by the zero-padded number: cheaper than zfill.
    digits = pl.int_range(offset + 1, offset + n + 1, eager=False).cast(pl.String).str.slice(1)
    return pl.select(pl.lit(prefix) + digits).to_series()


def _combinations(*parts: Sequence[str]) -> pl.Series:
    """Every concatenation of one string from each part, the last part varying fastest.

    Element ``(i0 * len(p1) + i1) * len(p2) + i2`` is ``p0[i0] + p1[i1] + p2[i2]``, so a
    row's name is one gather from a small vocabulary instead of string work per row.
    """
    frame = pl.DataFrame({"p0": pl.Series(parts[0], dtype=pl.String)})
    for index, part in enumerate(parts[1:], start=1):
        other = pl.DataFrame({f"p{index}": pl.Series(part, dtype=pl.String)})
        frame = frame.join(other, how="cross", maintain_order="left_right")
    return frame.select(pl.concat_str(pl.all())).to_series()


def _round_minor(amount: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """Round local amounts to the currency's minor unit (cents; whole yen)."""
    scale = np.array([10.0 ** MINOR_UNITS.get(c, 2) for c in CURRENCIES])[currency]
    return np.rint(amount * scale) / scale


def _money(values: np.ndarray, mask: np.ndarray | None = None) -> pl.Series:
    """Money as DECIMAL(18,2); ``mask`` marks nulls."""
    series = pl.Series(np.round(values, 2)).cast(MONEY)
    if mask is None:
        return series
    return pl.select(
        pl.when(pl.Series(mask)).then(None).otherwise(series).alias("money")
    ).to_series()


def _fx_rates(corporate: str) -> dict[str, float]:
    """Rate to the corporate currency for every currency but the corporate one."""
    base = USD_RATES[corporate]
    return {c: round(rate / base, 8) for c, rate in USD_RATES.items() if c != corporate}


def _fiscal_periods() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": [p[0] for p in PERIODS],
            "fiscal_year": pl.Series([FISCAL_YEAR] * len(PERIODS), dtype=pl.Int32),
            "start_date": pl.Series(np.array([p[1] for p in PERIODS], dtype="datetime64[D]")),
            "end_date": pl.Series(np.array([p[2] for p in PERIODS], dtype="datetime64[D]")),
        }
    )


# --------------------------------------------------------------------------- territories


def _territories(n_leaves: int) -> _Hierarchy:
    """GLOBAL -> regions -> areas -> leaf territories, ~LEAVES_PER_AREA leaves per area."""
    weights = np.array([r.weight for r in REGIONS])
    per_region = np.maximum(1, np.floor(weights * n_leaves)).astype(np.int64)
    per_region[0] += n_leaves - per_region.sum()

    area_ids: list[pl.Series] = []
    area_frames: list[pl.DataFrame] = []
    leaf_frames: list[pl.DataFrame] = []
    leaf_region: list[np.ndarray] = []
    leaf_area: list[np.ndarray] = []
    leaf_currency: list[np.ndarray] = []
    area_offset = 0
    for r, region in enumerate(REGIONS):
        leaves = int(per_region[r])
        # Small regions still get a few areas, so that every currency shows up early.
        areas = max(-(-leaves // LEAVES_PER_AREA), min(leaves, MIN_AREAS_PER_REGION))
        area_index = np.arange(areas)
        # Leaves spread evenly over the region's areas; k = leaf number inside its area.
        area_of_leaf = np.arange(leaves) * areas // leaves
        first_leaf = np.searchsorted(area_of_leaf, area_index)
        leaf_number = np.arange(leaves) - first_leaf[area_of_leaf] + 1

        names = [a[0] for a in region.areas]
        cycle = area_index % len(names)
        lap = area_index // len(names) + 1
        area_name = pl.select(
            pl.concat_str(
                pl.lit(f"{region.territory_id} "),
                _pick(names, cycle),
                pl.when(pl.Series(lap) > 1).then(pl.lit(" ") + pl.Series(lap).cast(pl.String)),
                ignore_nulls=True,
            )
        ).to_series()
        area_width = max(2, len(str(areas)))
        a_ids = _ids(f"{region.territory_id}-", areas, area_width)
        area_frames.append(
            pl.DataFrame(
                {
                    "territory_id": a_ids,
                    "territory_name": area_name,
                    "parent_territory_id": pl.repeat(region.territory_id, areas, eager=True),
                    "level": pl.repeat("area", areas, eager=True),
                }
            )
        )
        leaf_width = max(2, len(str(int(np.bincount(area_of_leaf).max()))))
        number = pl.Series(leaf_number).cast(pl.String).str.zfill(leaf_width)
        parent = a_ids.gather(area_of_leaf)
        leaf_frames.append(
            pl.DataFrame(
                {
                    "territory_id": parent + "-" + number,
                    "territory_name": area_name.gather(area_of_leaf) + " Territory " + number,
                    "parent_territory_id": parent,
                    "level": pl.repeat("territory", leaves, eager=True),
                }
            )
        )
        currency_of_area = np.array([CURRENCIES.index(a[1]) for a in region.areas], dtype=np.int64)[
            cycle
        ]
        area_ids.append(a_ids)
        leaf_region.append(np.full(leaves, r, dtype=np.int64))
        leaf_area.append(area_offset + area_of_leaf)
        leaf_currency.append(currency_of_area[area_of_leaf])
        area_offset += areas

    top = pl.DataFrame(
        {
            "territory_id": ["GLOBAL", *(r.territory_id for r in REGIONS)],
            "territory_name": ["Global", *(r.name for r in REGIONS)],
            "parent_territory_id": [None, *(["GLOBAL"] * len(REGIONS))],
            "level": ["global", *(["region"] * len(REGIONS))],
        },
        schema=dict.fromkeys(
            ("territory_id", "territory_name", "parent_territory_id", "level"), pl.String
        ),
    )
    leaves_frame = pl.concat(leaf_frames)
    frame = pl.concat([top, *area_frames, leaves_frame])
    return _Hierarchy(
        frame=frame,
        leaf_ids=leaves_frame["territory_id"],
        leaf_region=np.concatenate(leaf_region),
        leaf_area=np.concatenate(leaf_area),
        leaf_currency=np.concatenate(leaf_currency),
        area_ids=pl.concat(area_ids),
    )


# --------------------------------------------------------------------------- sellers


def _sellers(
    rng: np.random.Generator, n: int, hierarchy: _Hierarchy, usd_rate: np.ndarray
) -> tuple[pl.DataFrame, _Sellers]:
    """Sellers spread evenly over the leaf territories, in the leaf's currency."""
    # Mixes are exact counts shuffled over the sellers (not independent draws), so even
    # twenty sellers include every seniority, a terminated and a ramping seller.
    varied = n >= MIN_SELLERS_FOR_MIX
    leaf = rng.permutation(np.arange(n) % hierarchy.leaves)
    seniority = _shuffled(rng, n, SENIORITY_MIX, varied)
    status = _shuffled(rng, n, STATUS_MIX, varied)
    active = np.flatnonzero(status == SELLER_STATUS.index("active"))
    ramping_count = min(len(active), max(1, round(RAMPING_SHARE * n)) if varied else 0)
    ramping_rows = rng.choice(active, size=ramping_count, replace=False)
    ramping = np.zeros(n, dtype=bool)
    ramping[ramping_rows] = True

    # Tenure grows with seniority. Ramping sellers were hired from ~4 months before to
    # ~3 months after the start of the fiscal year; every third one after it.
    mean_years = np.array([1.5, 3.0, 5.0, 7.0])[seniority]
    tenure = 180 + np.minimum(rng.exponential(mean_years * 365.0), 14 * 365.0)
    hire = PLAN_START - tenure.astype(np.int64).astype("timedelta64[D]")
    after_start = np.arange(ramping_count) % 3 == 0
    offset = np.where(
        after_start,
        rng.integers(1, 91, ramping_count),
        rng.integers(-120, 1, ramping_count),
    )
    hire[ramping_rows] = PLAN_START + offset.astype("timedelta64[D]")

    currency = hierarchy.leaf_currency[leaf]
    low = np.array([OTE_USD[s][0] for s in SENIORITY])[seniority]
    high = np.array([OTE_USD[s][1] for s in SENIORITY])[seniority]
    ote_usd = low + rng.random(n) * (high - low)
    ote_local = np.round(ote_usd / usd_rate[currency] / 1000) * 1000

    focus = _shuffled(rng, n, (*FOCUS_MIX, 1.0 - sum(FOCUS_MIX)), varied)
    role = seniority * 2 + (rng.random(n) < 0.5)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)

    # A few active, settled sellers own no account at all (a quota with no targets);
    # sellers who are still very new get smaller books.
    book_weight = np.where(hire > PLAN_START - np.timedelta64(31, "D"), 0.5, 1.0)
    candidates = np.flatnonzero((status == SELLER_STATUS.index("active")) & ~ramping)
    no_book = max(1, round(NO_BOOK_SHARE * n)) if varied else 0
    no_book = min(no_book, len(candidates))
    book_weight[rng.choice(candidates, size=no_book, replace=False)] = 0.0

    ids = _ids("S", n, 6)
    roles = [ROLES[s][k] for s in SENIORITY for k in (0, 1)]
    frame = pl.DataFrame(
        {
            "seller_id": ids,
            "seller_name": _combinations(FIRST_NAMES, [" "], LAST_NAMES).gather(
                first * len(LAST_NAMES) + last
            ),
            "territory_id": hierarchy.leaf_ids.gather(leaf),
            "role": _pick(roles, role),
            "seniority": _pick(SENIORITY, seniority),
            "hire_date": pl.Series(hire),
            "ote_amount": _money(ote_local),
            "currency_iso": _pick(CURRENCIES, currency),
            "strategic_focus": _pick([*STRATEGIC_FOCUS, None], focus),
            "status": _pick(SELLER_STATUS, status),
        }
    )
    return frame, _Sellers(
        ids=ids,
        leaf=leaf,
        seniority=seniority,
        status=status,
        currency=currency,
        ote_usd=ote_usd,
        book_weight=book_weight,
        hire=hire,
        focus=focus,
    )


# --------------------------------------------------------------------------- accounts


def _accounts(
    rng: np.random.Generator,
    n: int,
    hierarchy: _Hierarchy,
    sellers: _Sellers,
    corporate_usd: float,
    unplanned: np.ndarray,
) -> tuple[pl.DataFrame, _Accounts]:
    """Accounts in leaf territories, owned mostly by a seller of the same leaf."""
    n_leaves = hierarchy.leaves
    sellers_per_leaf = np.bincount(sellers.leaf, minlength=n_leaves)
    leaf_weight = np.maximum(sellers_per_leaf, 0.5) * rng.lognormal(0.0, 0.3, n_leaves)
    # Drawn grouped by leaf (owner look-ups then stay in cache), then shuffled so that
    # account ids do not follow territories.
    leaf = np.repeat(np.arange(n_leaves), rng.multinomial(n, leaf_weight / leaf_weight.sum()))
    segment = _choice(rng, n, SEGMENT_MIX)
    owner = _owners(rng, leaf, segment, sellers, n_leaves)
    shuffle = rng.permutation(n)
    leaf, segment, owner = leaf[shuffle], segment[shuffle], owner[shuffle]
    del shuffle
    currency = hierarchy.leaf_currency[leaf]
    base_target_usd, revenue = _account_amounts(rng, segment, corporate_usd)
    no_potential = (segment == SEGMENT.index("smb")) & (rng.random(n) < NO_POTENTIAL_SMB)
    base_target_usd[no_potential] = 0.0
    # a small org has few leaves, so its one unplanned leaf holds a larger share of the
    # accounts: fewer of them are left empty, so the null share stays under the policy's
    # quality.max_null_target_share whatever the size
    dilution = min(1.0, UNPLANNED_LEAF_SHARE * n_leaves / max(int(unplanned.sum()), 1))
    planned = ~(unplanned[leaf] & (rng.random(n) < UNPLANNED_EMPTY * dilution))
    no_revenue = rng.random(n) < EMPTY_REVENUE
    ids = _ids("A", n, 7)
    # Columns become Polars series one by one, so numpy temporaries die early.
    columns = {
        "account_id": ids,
        "account_name": _account_names(rng, hierarchy.leaf_region[leaf]),
        "owner_seller_id": pl.select(
            pl.when(pl.Series(owner >= 0))
            .then(sellers.ids.gather(np.maximum(owner, 0)))
            .otherwise(None)
        ).to_series(),
        "territory_id": hierarchy.leaf_ids.gather(leaf),
        "segment": _pick(SEGMENT, segment),
        "industry": _pick(INDUSTRIES, _choice(rng, n, INDUSTRY_WEIGHTS)),
        "annual_revenue": _money(revenue, no_revenue),
    }
    del segment, revenue, no_revenue
    frame = pl.DataFrame(columns)
    return frame, _Accounts(
        ids=ids,
        leaf=leaf,
        owner=owner,
        currency=currency,
        base_target_usd=base_target_usd,
        planned=planned,
    )


def _account_amounts(
    rng: np.random.Generator, segment: np.ndarray, corporate_usd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-quarter base target in USD and annual revenue in the corporate currency.

    Both share one normal draw, so big targets sit at big companies. annual_revenue has
    no currency column of its own, so it is stated in the corporate currency.
    """
    n = len(segment)
    z_target = rng.standard_normal(n)
    z_revenue = 0.6 * z_target + 0.8 * rng.standard_normal(n)
    median = np.array([t[0] for t in TARGET_USD])[segment]
    sigma = np.array([t[1] for t in TARGET_USD])[segment]
    base_target_usd = median * np.exp(sigma * z_target)
    revenue_usd = np.array([2e9, 1.5e8, 1.2e7])[segment] * np.exp(
        np.array([1.0, 0.8, 0.9])[segment] * z_revenue
    )
    revenue = np.minimum(np.round(revenue_usd / corporate_usd / 1000) * 1000, MAX_REVENUE)
    return base_target_usd, revenue


def _account_names(rng: np.random.Generator, region: np.ndarray) -> pl.Series:
    """Stem + core + the region's legal form, as one gather from every combination."""
    n = len(region)
    stem_core = rng.integers(0, len(NAME_STEMS) * len(NAME_CORES), n)
    form_count = np.array([len(r.legal_forms) for r in REGIONS])
    block = len(NAME_STEMS) * len(NAME_CORES) * form_count
    block_offset = np.concatenate(([0], np.cumsum(block)[:-1]))
    form = (rng.random(n) * form_count[region]).astype(np.int64)
    index = block_offset[region] + stem_core * form_count[region] + form
    names = pl.concat(
        [_combinations(NAME_STEMS, [" "], NAME_CORES, r.legal_forms) for r in REGIONS]
    )
    return names.gather(index)


def _owners(
    rng: np.random.Generator,
    leaf: np.ndarray,
    segment: np.ndarray,
    sellers: _Sellers,
    n_leaves: int,
) -> np.ndarray:
    """Owner seller index per account (-1 = unassigned).

    Within its leaf an account goes to a seller with probability proportional to
    OWNER_WEIGHT[segment][seniority] x book weight (inverse-CDF over a prefix sum of the
    sellers sorted by leaf). A few accounts belong to a seller of another leaf, and
    UNASSIGNED_SHARE have no owner.
    """
    n = len(leaf)
    order = np.argsort(sellers.leaf, kind="stable")
    bounds = np.searchsorted(sellers.leaf[order], np.arange(n_leaves + 1))
    start, end = bounds[leaf], bounds[leaf + 1]
    u = rng.random(n)
    owner = np.full(n, -1, dtype=np.int64)
    for g in range(len(SEGMENT)):
        weight = np.asarray(OWNER_WEIGHT[g])[sellers.seniority[order]] * sellers.book_weight[order]
        prefix = np.concatenate(([0.0], np.cumsum(weight)))
        rows = np.flatnonzero(segment == g)
        low, high = prefix[start[rows]], prefix[end[rows]]
        position = np.searchsorted(prefix, low + u[rows] * (high - low), side="right") - 1
        position = np.clip(position, start[rows], np.maximum(end[rows] - 1, start[rows]))
        chosen = order[np.minimum(position, len(order) - 1)]
        owner[rows] = np.where(high > low, chosen, -1)

    eligible = np.flatnonzero(sellers.book_weight > 0)
    foreign = (owner < 0) | (rng.random(n) < FOREIGN_OWNER_SHARE)
    if len(eligible):
        owner[foreign] = eligible[rng.integers(0, len(eligible), int(foreign.sum()))]
    owner[rng.random(n) < UNASSIGNED_SHARE] = -1
    return owner


# --------------------------------------------------------------------------- targets


def _account_targets(
    rng: np.random.Generator,
    accounts: _Accounts,
    usd_rate: np.ndarray,
    rate_to_corp: np.ndarray,
    rollups: _Rollups,
) -> Iterator[pl.DataFrame]:
    """One frame per period; fills ``rollups`` with the corporate-currency sums."""
    n = len(accounts.ids)
    to_local = usd_rate[accounts.currency]
    to_corp = rate_to_corp[accounts.currency]
    owned = accounts.owner >= 0
    base = pl.DataFrame(
        {"account_id": accounts.ids, "currency_iso": _pick(CURRENCIES, accounts.currency)}
    )
    missing_share = np.where(accounts.planned, MISSING_TARGET_ROW, UNPLANNED_MISSING_ROW)
    for p, (period, _, _) in enumerate(PERIODS):
        usd = accounts.base_target_usd * SEASONALITY[p] * rng.lognormal(0.0, 0.15, n)
        local = _round_minor(usd / to_local, accounts.currency)
        present = rng.random(n) >= missing_share
        empty = ~accounts.planned | (rng.random(n) < EMPTY_TARGET)
        counted = present & ~empty
        corp = np.round(local * to_corp, 2)
        by_seller = counted & owned
        rollups.sat[:, p] = np.bincount(
            accounts.owner[by_seller], weights=corp[by_seller], minlength=rollups.sat.shape[0]
        )
        rollups.potential[:, p] = np.bincount(
            accounts.leaf, weights=corp, minlength=rollups.potential.shape[0]
        )
        yield base.with_columns(
            period=pl.lit(period, dtype=pl.String), target_amount=_money(local, empty)
        ).filter(pl.Series(present))


def ramp_factors(hire: np.ndarray, curve: Sequence[float]) -> np.ndarray:
    """Seller x period ramp factor as docs/contract.md section 3 defines it: m complete
    months from hire to the period's start (0 when hired on or after it), the mean of
    curve[min(k, last)] over the n months the period touches, k = m .. m + n - 1."""
    hire_month = hire.astype("datetime64[M]")
    hire_day = (hire - hire_month.astype("datetime64[D]")).astype(np.int64) + 1
    curve_values = np.asarray(curve, dtype=np.float64)
    last = len(curve_values) - 1
    factors = np.empty((len(hire), len(PERIODS)))
    for p, (_, first, final) in enumerate(PERIODS):
        start = np.datetime64(first, "D")
        start_month = start.astype("datetime64[M]")
        start_day = int((start - start_month.astype("datetime64[D]")).astype(np.int64)) + 1
        months = (start_month - hire_month).astype(np.int64) - (start_day < hire_day)
        months = np.where(hire >= start, 0, np.maximum(months, 0))
        touched = int((np.datetime64(final, "M") - start_month).astype(np.int64)) + 1
        steps = np.minimum(months[:, None] + np.arange(touched)[None, :], last)
        factors[:, p] = curve_values[steps].mean(axis=1)
    return factors


def _capacity_factor(sellers: _Sellers, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """(ramp x seniority x focus, seniority x focus) per seller and period, from the policy."""
    seniority = np.array([policy.seniority_multiplier[s] for s in SENIORITY])[sellers.seniority]
    focus_names = [*STRATEGIC_FOCUS, "none"]
    focus = np.array([policy.focus_multiplier.get(f, 1.0) for f in focus_names])[sellers.focus]
    settled = (seniority * focus)[:, None]
    return ramp_factors(sellers.hire, policy.ramp_curve) * settled, settled


def _quotas(
    rng: np.random.Generator,
    sellers: _Sellers,
    sat: np.ndarray,
    rate_to_corp: np.ndarray,
    corporate_currency: str,
    policy: Policy,
) -> np.ndarray:
    """Seller x period quota in the seller's currency, rounded to 1,000.

    Quota = adjusted capacity (SAT x ramp x seniority x focus, as the risk step computes
    it) x a factor drawn per seller from QUOTA_FACTORS, so the risk levels come out as a
    real plan's: most sellers low or medium. A third of the ramping sellers got a quota as
    if fully productive, and a seller with no targets a quota from the OTE: both are the
    plan's clear problems.
    """
    n, n_periods = sat.shape
    category = _shuffled(rng, n, [f[0] for f in QUOTA_FACTORS], n >= MIN_SELLERS_FOR_MIX)
    low = np.array([f[1] for f in QUOTA_FACTORS])[category]
    high = np.array([f[2] for f in QUOTA_FACTORS])[category]
    factor = (low + rng.random(n) * (high - low))[:, None]
    jitter = rng.uniform(0.99, 1.01, (n, n_periods))
    ramped, settled = _capacity_factor(sellers, policy)
    unramped = rng.random(n) < UNRAMPED_SHARE
    capacity_factor = np.where(unramped[:, None], settled, ramped)
    ote_corp = sellers.ote_usd / USD_RATES[corporate_currency]
    fallback = (ote_corp * rng.uniform(4.5, 6.5, n) / n_periods)[:, None]
    quota_corp = np.where(sat > 0, sat * capacity_factor * factor * jitter, fallback)
    quota_local = quota_corp / rate_to_corp[sellers.currency][:, None]
    return np.maximum(1000.0, np.round(quota_local / 1000) * 1000)


def _quota_frame(
    rng: np.random.Generator, sellers: _Sellers, quota_local: np.ndarray
) -> pl.DataFrame:
    """Active and on-leave sellers have every period; some terminated sellers kept the
    quota of the quarters before they left."""
    n, n_periods = quota_local.shape
    terminated = sellers.status == SELLER_STATUS.index("terminated")
    kept = np.where(rng.random(n) < TERMINATED_WITH_QUOTA, rng.integers(1, n_periods, n), 0)
    quarters = np.where(terminated, kept, n_periods)
    seller, period = np.nonzero(np.arange(n_periods)[None, :] < quarters[:, None])
    return pl.DataFrame(
        {
            "seller_id": sellers.ids.gather(seller),
            "period": _pick([p[0] for p in PERIODS], period),
            "quota_amount": _money(quota_local[seller, period]),
            "currency_iso": _pick(CURRENCIES, sellers.currency[seller]),
        }
    )


def _ote(
    rng: np.random.Generator,
    sellers: _Sellers,
    quota_local: np.ndarray,
    rate_to_corp: np.ndarray,
    policy: Policy,
) -> np.ndarray:
    """Annual OTE in the seller's currency, rounded to 1,000: the full year's quota over a
    multiple inside the policy's quota_to_ote range for most sellers, outside it (both
    ways) for OTE_OUTSIDE_SHARE of them."""
    n = len(quota_local)
    low, high = policy.quota_to_ote.min, policy.quota_to_ote.max
    inside = rng.uniform(low + OTE_INSIDE_MARGIN[0], high - OTE_INSIDE_MARGIN[1], n)
    below = rng.uniform(max(low * 0.6, 0.5), max(low * 0.9, 0.6), n)
    above = rng.uniform(high * 1.1, high * 1.4, n)
    outside = rng.random(n) < OTE_OUTSIDE_SHARE
    multiple = np.where(outside, np.where(rng.random(n) < 0.5, below, above), inside)
    annual_corp = quota_local.sum(axis=1) * rate_to_corp[sellers.currency]
    ote_corp = annual_corp / multiple
    return np.maximum(1000.0, np.round(ote_corp / rate_to_corp[sellers.currency] / 1000) * 1000)


def _unplanned_leaves(rng: np.random.Generator, hierarchy: _Hierarchy) -> np.ndarray:
    """Leaf territories that have not planned most of their accounts yet (at least one)."""
    count = max(1, round(UNPLANNED_LEAF_SHARE * hierarchy.leaves))
    flags = np.zeros(hierarchy.leaves, dtype=bool)
    flags[rng.choice(hierarchy.leaves, size=count, replace=False)] = True
    return flags


def _target_overrides(
    rng: np.random.Generator, accounts: _Accounts, usd_rate: np.ndarray
) -> pl.DataFrame:
    """A few planners' manual account targets, each with a reason; one per account and
    period at most. Mostly on accounts with a target (a correction), some on unplanned
    ones (a planner who knows the account)."""
    n = len(accounts.ids)
    rows = []
    for p, (period, _, _) in enumerate(PERIODS):
        count = min(n, max(MIN_OVERRIDES, round(OVERRIDE_SHARE * n)))
        chosen = np.sort(rng.choice(n, size=count, replace=False))
        base = np.where(
            accounts.base_target_usd[chosen] > 0, accounts.base_target_usd[chosen], 20_000.0
        )
        usd = base * SEASONALITY[p] * rng.uniform(0.4, 1.8, count)
        currency = accounts.currency[chosen]
        local = _round_minor(np.round(usd / usd_rate[currency] / 100) * 100, currency)
        rows.append(
            pl.DataFrame(
                {
                    "account_id": accounts.ids.gather(chosen),
                    "period": pl.repeat(period, count, eager=True, dtype=pl.String),
                    "target_amount": _money(local),
                    "currency_iso": _pick(CURRENCIES, currency),
                    "reason": _pick(
                        OVERRIDE_REASONS, rng.integers(0, len(OVERRIDE_REASONS), count)
                    ),
                    "overridden_by": _pick(PLANNERS, rng.integers(0, len(PLANNERS), count)),
                }
            )
        )
    return pl.concat(rows)


def _topdown_targets(
    rng: np.random.Generator,
    hierarchy: _Hierarchy,
    potential: np.ndarray,
    corporate_currency: str,
    unplanned: np.ndarray,
) -> pl.DataFrame:
    """Nested top-down targets: the root, every region, a few areas (always those holding
    an unplanned leaf) and a few leaves; the planned potential x 0.90-1.02 (one factor a
    territory, 2 % either way a quarter), in the corporate currency, rounded to 1,000."""
    n_periods = potential.shape[1]
    n_areas = len(hierarchy.area_ids)
    by_region = np.stack(
        [
            np.bincount(hierarchy.leaf_region, potential[:, p], len(REGIONS))
            for p in range(n_periods)
        ],
        axis=1,
    )
    by_area = np.stack(
        [np.bincount(hierarchy.leaf_area, potential[:, p], n_areas) for p in range(n_periods)],
        axis=1,
    )
    chosen = rng.choice(n_areas, size=min(n_areas, TOPDOWN_AREAS), replace=False)
    areas = np.union1d(chosen, hierarchy.leaf_area[unplanned])
    leaves = np.sort(
        rng.choice(hierarchy.leaves, size=min(hierarchy.leaves, TOPDOWN_LEAVES), replace=False)
    )
    ids = pl.concat(
        [
            pl.Series(["GLOBAL", *(r.territory_id for r in REGIONS)], dtype=pl.String),
            hierarchy.area_ids.gather(areas),
            hierarchy.leaf_ids.gather(leaves),
        ]
    )
    totals = np.vstack(
        [potential.sum(axis=0, keepdims=True), by_region, by_area[areas], potential[leaves]]
    )
    factor = rng.uniform(*TOPDOWN_FACTOR, (len(totals), 1))
    factor = factor * rng.uniform(*TOPDOWN_QUARTER_JITTER, totals.shape)
    amount = np.round(totals * factor / 1000) * 1000
    period, territory = np.divmod(np.arange(totals.size), len(ids))
    return pl.DataFrame(
        {
            "territory_id": ids.gather(territory),
            "period": _pick([p[0] for p in PERIODS], period),
            "target_amount": _money(amount[territory, period]),
            "currency_iso": pl.repeat(corporate_currency, totals.size, eager=True),
        }
    )
