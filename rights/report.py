"""``twin ledger report``: uses and amounts owed per owner and licensee for one month, with the images
broken down per use and per territory the request named."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from twinkit.rights.db import Registry
from twinkit.rights.models import LedgerRow, Licence, Owner, Twin
from twinkit.rights.terms import format_money, parse_month

UNSTATED = "unstated"


def territory_key(territories: list[str] | None) -> str:
    """How a ledger row's territories are shown and grouped: ``FR``, ``DE+FR``, ``WORLD`` or ``unstated``
    (the request named none, or the row predates territories in the ledger)."""
    return "+".join(territories) if territories else UNSTATED


@dataclass
class ReportLine:
    """One owner and licensee in one currency: images per use and per territory, days in force, amounts
    (hundredths). An image requested for several territories counts once, under their joint key."""

    owner_id: str
    owner: str
    licensee: str
    currency: str
    uses: dict[str, int] = field(default_factory=dict)
    territories: dict[str, int] = field(default_factory=dict)
    images: int = 0
    image_fees: int = 0
    days: int = 0
    day_fees: int = 0

    @property
    def total(self) -> int:
        return self.image_fees + self.day_fees


def days_in_force(licence: Licence, start: datetime, end: datetime) -> int:
    """Calendar days (UTC) of [start, end) on which the licence was in force at any moment."""
    first = max(licence.starts_at, start)
    last = min(licence.ends_at, licence.revoked_at or licence.ends_at, end)
    if last <= first:
        return 0
    return ((last - timedelta(microseconds=1)).date() - first.date()).days + 1


def monthly_report(db: Registry, month: str, owner_id: str | None = None) -> list[ReportLine]:
    """Per owner and licensee: images recorded in ``month`` (YYYY-MM) with their per-image fees, plus
    per-day fees for each day a licence was in force that month."""
    start, end = parse_month(month)
    lines: dict[tuple[str, str, str], ReportLine] = {}
    with db.session() as session:
        names = {o.id: o.name or "(erased)" for o in session.execute(select(Owner)).scalars()}

        def line(owner: str, licensee: str, currency: str) -> ReportLine:
            key = (owner, licensee, currency)
            return lines.setdefault(key, ReportLine(owner, names.get(owner, ""), licensee, currency))

        rows = select(LedgerRow).where(LedgerRow.kind == "output", LedgerRow.created_at >= start,
                                       LedgerRow.created_at < end)
        licences = select(Licence, Twin.owner_id).join(Twin, Licence.twin_id == Twin.id)
        if owner_id:
            rows = rows.where(LedgerRow.owner_id == owner_id)
            licences = licences.where(Twin.owner_id == owner_id)
        for row in session.execute(rows).scalars():
            entry = line(row.owner_id, row.licensee, row.currency)
            where = territory_key(row.territories)
            entry.uses[row.use] = entry.uses.get(row.use, 0) + 1
            entry.territories[where] = entry.territories.get(where, 0) + 1
            entry.images += 1
            entry.image_fees += row.fee
        for licence, owner in session.execute(licences):
            days = days_in_force(licence, start, end)
            if days and licence.fee_per_day:
                entry = line(owner, licence.licensee, licence.currency)
                entry.days += days
                entry.day_fees += days * licence.fee_per_day
    return sorted(lines.values(), key=lambda r: (r.owner, r.owner_id, r.licensee, r.currency))


_COLUMNS = ("owner_id", "owner", "licensee", "currency", "uses", "territories", "images", "image_fees",
            "days", "day_fees", "total")


def _counts(counts: dict[str, int]) -> str:
    """``{"marketing": 3, "social": 1}`` as ``marketing:3 social:1``."""
    return " ".join(f"{key}:{n}" for key, n in sorted(counts.items()))


def _cells(line: ReportLine) -> list[str]:
    return [line.owner_id, line.owner, line.licensee, line.currency, _counts(line.uses),
            _counts(line.territories), str(line.images), format_money(line.image_fees), str(line.days),
            format_money(line.day_fees), format_money(line.total)]


def as_table(lines: list[ReportLine]) -> str:
    """Aligned plain-text columns (a few lines of str.ljust; no table library needed)."""
    rows = [list(_COLUMNS)] + [_cells(line) for line in lines]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows) + "\n"


def as_csv(lines: list[ReportLine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_COLUMNS)
    writer.writerows(_cells(line) for line in lines)
    return buffer.getvalue()


def as_json(lines: list[ReportLine], month: str) -> str:
    """Amounts as decimal strings, so they survive any JSON reader exactly."""
    items = [{**asdict(line), "image_fees": format_money(line.image_fees),
              "day_fees": format_money(line.day_fees), "total": format_money(line.total)} for line in lines]
    return json.dumps({"period": month, "lines": items}, indent=2) + "\n"
