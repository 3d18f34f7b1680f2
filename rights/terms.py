"""The vocabulary of consents and licences: uses, territories, periods and fees, parsed and compared."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

import pycountry

from twinkit.core.errors import InputError

USES = ("fit-testing", "e-commerce", "marketing", "social", "editorial")
WORLD = "WORLD"


def now() -> datetime:
    """The current instant (UTC, timezone-aware): the one clock every rights decision reads."""
    return datetime.now(timezone.utc)


def parse_uses(values: Iterable[str]) -> list[str]:
    """Validate use names (comma-separated values allowed); sorted, without duplicates."""
    uses = {u.strip().lower() for v in values for u in v.split(",") if u.strip()}
    unknown = sorted(uses - set(USES))
    if unknown:
        raise InputError(f"unknown use {', '.join(unknown)} (known: {', '.join(USES)})")
    if not uses:
        raise InputError("at least one use is required")
    return sorted(uses)


def parse_territories(values: Iterable[str]) -> list[str]:
    """ISO 3166-1 alpha-2 country codes, or ``WORLD``; sorted, without duplicates."""
    codes = {t.strip().upper() for v in values for t in v.split(",") if t.strip()}
    bad = sorted(c for c in codes if c != WORLD and pycountry.countries.get(alpha_2=c) is None)
    if bad:
        raise InputError(f"unknown territory {', '.join(bad)} (use ISO 3166-1 alpha-2 codes or WORLD)")
    if not codes:
        raise InputError("at least one territory is required")
    return [WORLD] if WORLD in codes else sorted(codes)


def parse_instant(text: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (UTC unless it names an offset) as an aware datetime."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not an ISO date or date-time: {text!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_month(text: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` as the half-open UTC interval [first instant, first instant of the next month)."""
    try:
        first = datetime.strptime(text, "%Y-%m").replace(tzinfo=timezone.utc)
    except ValueError:
        raise InputError(f"period must be a month written YYYY-MM, got {text!r}") from None
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return first, following


def parse_money(text: str | None) -> int | None:
    """An amount such as ``12.50`` as integer hundredths of the currency unit (None stays None)."""
    if text is None:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InputError(f"not an amount: {text!r}") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InputError(f"amount must be positive with at most two decimals, got {text!r}")
    return int(amount * 100)


def format_money(cents: int) -> str:
    """Integer hundredths as a decimal amount: 1250 -> ``12.50``."""
    return f"{Decimal(cents) / 100:.2f}"


def territories_within(inner: Iterable[str], outer: Iterable[str]) -> bool:
    """Whether every territory of ``inner`` is covered by ``outer`` (``WORLD`` covers all)."""
    outer = set(outer)
    return WORLD in outer or (WORLD not in set(inner) and set(inner) <= outer)


def period_within(start: datetime, end: datetime, outer_start: datetime, outer_end: datetime) -> bool:
    """Whether [start, end) lies inside [outer_start, outer_end)."""
    return outer_start <= start and end <= outer_end


def in_force(start: datetime, end: datetime, at: datetime) -> bool:
    """Whether ``at`` falls in the half-open period [start, end): the end instant is already outside."""
    return start <= at < end
