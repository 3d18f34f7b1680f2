"""The registry's tables: owners, their twins and twin folders, consents, licences, the ledger.

The schema is created and upgraded only by the Alembic migrations in ``rights/migrations``; these
classes describe the head revision. Instants are stored as naive UTC and returned timezone-aware.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime stored the same way (naive UTC, microseconds) on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the registry; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Owner(Base):
    """A person whose twins the registry holds. Name and contact are cleared on erasure."""

    __tablename__ = "owners"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twins: Mapped[list[Twin]] = relationship(back_populates="owner")


class Twin(Base):
    """A person's digital twin; its id (a UUID) is the ``twin_id`` in every folder made from it."""

    __tablename__ = "twins"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[Owner] = relationship(back_populates="twins")
    folders: Mapped[list[TwinFolder]] = relationship(back_populates="twin", order_by="TwinFolder.id")
    consents: Mapped[list[Consent]] = relationship(back_populates="twin", order_by="Consent.id")
    licences: Mapped[list[Licence]] = relationship(back_populates="twin", order_by="Licence.granted_at")


class TwinFolder(Base):
    """A folder holding the twin's biometric data (a capture, an avatar), removed on erasure."""

    __tablename__ = "twin_folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    twin_id: Mapped[str] = mapped_column(ForeignKey("twins.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    twin: Mapped[Twin] = relationship(back_populates="folders")


class Consent(Base):
    """What the owner signed: allowed uses, territories, period, compensation, the document's hash."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    twin_id: Mapped[str] = mapped_column(ForeignKey("twins.id"), index=True)
    uses: Mapped[list[str]] = mapped_column(JSON)
    territories: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    min_fee_per_image: Mapped[int] = mapped_column(Integer)  # hundredths of the currency unit
    min_fee_per_day: Mapped[int] = mapped_column(Integer)
    terms: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    twin: Mapped[Twin] = relationship(back_populates="consents")


class Licence(Base):
    """A brand's right to use a twin, within a consent; revocation and expiry apply at once."""

    __tablename__ = "licences"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    twin_id: Mapped[str] = mapped_column(ForeignKey("twins.id"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    licensee: Mapped[str] = mapped_column(String(200), index=True)
    uses: Mapped[list[str]] = mapped_column(JSON)
    territories: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    fee_per_image: Mapped[int] = mapped_column(Integer)
    fee_per_day: Mapped[int] = mapped_column(Integer)
    own_label: Mapped[bool] = mapped_column(Boolean, default=False)  # licensee applies its own AI label
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twin: Mapped[Twin] = relationship(back_populates="licences")


class LedgerHead(Base):
    """The single row holding the chain's last sequence number and hash; appends lock it."""

    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerRow(Base):
    """One produced output (or an erasure tombstone), chained to the previous row by SHA-256."""

    __tablename__ = "ledger"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "output" or "tombstone"
    twin_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    licensee: Mapped[str | None] = mapped_column(String(200))
    use: Mapped[str | None] = mapped_column(String(40))
    licence_id: Mapped[str | None] = mapped_column(String(36))
    currency: Mapped[str | None] = mapped_column(String(3))
    fee: Mapped[int] = mapped_column(Integer)
    output_sha256: Mapped[str | None] = mapped_column(String(64))
    # where the output is for, as requested ([] unstated); NULL in rows older than the column and tombstones
    territories: Mapped[list[str] | None] = mapped_column(JSON)
    command: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
