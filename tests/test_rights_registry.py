"""Rights registry on SQLite and PostgreSQL: consent scope, licences, enforcement, ledger, erasure.

The PostgreSQL half needs TWINKIT_TEST_POSTGRES_URL (``export TWINKIT_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from PIL import Image

from twinkit.cli.main import twin
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import Manifest
from twinkit.rights import ledger, registry
from twinkit.rights.db import Registry, migrate
from twinkit.rights.enforce import authorize, publish_image, record_output
from twinkit.rights.errors import RightsError
from twinkit.rights.licences import LicenceTerms, grant_licence, revoke_licence
from twinkit.rights.report import as_csv, as_json, monthly_report
from twinkit.rights.terms import now

PG_ENV = "TWINKIT_TEST_POSTGRES_URL"
UTC = timezone.utc


def _database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is unset (start a server with `bash .ci/postgres.sh`)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    return _database_url(request.param, tmp_path)


@pytest.fixture
def db(db_url) -> Registry:
    registry_ = Registry.open(db_url)
    yield registry_
    registry_.close()


def make_twin_folder(root: Path, kind: str = "capture") -> tuple[Path, str]:
    """A minimal twinkit folder carrying a twin_id, plus a stand-in for biometric data."""
    twin_id = str(uuid.uuid4())
    folder = root / f"{kind}-{twin_id[:8]}"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "cam0.png").write_bytes(b"not really a face")
    Manifest(kind=kind, extra={"twin_id": twin_id}).write(folder)
    return folder, twin_id


YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2028, 1, 1, tzinfo=UTC)


def consent_terms(**overrides) -> registry.ConsentTerms:
    values = dict(uses=["e-commerce", "fit-testing", "marketing"], territories=["DE", "FR"],
                  starts_at=YEAR_START, ends_at=YEAR_END, currency="EUR", min_fee_per_image=500,
                  min_fee_per_day=0, terms="5 EUR per image at least", document_sha256="ab" * 32)
    values.update(overrides)
    return registry.ConsentTerms(**values)


def licence_terms(**overrides) -> LicenceTerms:
    values = dict(licensee="Brand", uses=["marketing"], territories=["FR"], starts_at=YEAR_START,
                  ends_at=YEAR_END, currency="EUR", fee_per_image=1250, fee_per_day=0)
    values.update(overrides)
    return LicenceTerms(**values)


@pytest.fixture
def consented(db, tmp_path) -> tuple[str, str, Path]:
    """(owner id, twin id, folder) of a twin with a consent on record."""
    owner = registry.add_owner(db, "Ada Model", "ada@example.org")
    folder, twin_id = make_twin_folder(tmp_path)
    registry.record_consent(db, folder, owner.id, consent_terms())
    return owner.id, twin_id, folder


def test_a_licence_cannot_exceed_the_consent(db, consented):
    _, twin_id, _ = consented
    cases = {
        "use social is not in the consent": licence_terms(uses=["social"]),
        "territories US exceed": licence_terms(territories=["US"]),
        "territories WORLD exceed": licence_terms(territories=["WORLD"]),
        "exceeds the consent (2026-01-01": licence_terms(ends_at=YEAR_END + timedelta(seconds=1)),
        "below the consent's minimum 5.00": licence_terms(fee_per_image=499),
        "fees are in USD": licence_terms(currency="USD"),
    }
    for expected, terms in cases.items():
        with pytest.raises(RightsError, match=expected.replace("(", r"\(")) as refused:
            grant_licence(db, twin_id, terms)
        assert refused.value.exit_code == 3
    licence = grant_licence(db, twin_id, licence_terms(uses=["marketing", "e-commerce"], territories=["DE", "FR"]))
    assert licence.consent_id >= 1


def test_without_consent_no_imagery(db, tmp_path):
    owner = registry.add_owner(db, "Bo")
    folder, twin_id = make_twin_folder(tmp_path)
    registry.register_twin(db, twin_id, owner.id, "capture", folder)  # QA reconstruction is allowed
    with pytest.raises(RightsError, match="no consent record"):
        authorize(twin_id, "Brand", "marketing", db=db)
    with pytest.raises(RightsError, match="no consent record"):
        grant_licence(db, twin_id, licence_terms())
    with pytest.raises(RightsError, match="not in the registry"):
        authorize(str(uuid.uuid4()), "Brand", "marketing", db=db)


def test_expiry_instant_revocation_and_scope_are_enforced(db, consented, tmp_path):
    _, twin_id, _ = consented
    start, end = now() - timedelta(days=1), now() + timedelta(days=1)
    licence = grant_licence(db, twin_id, licence_terms(starts_at=start, ends_at=end))
    assert authorize(twin_id, "Brand", "marketing", db=db, at=end - timedelta(microseconds=1)).licence_id == licence.id
    assert authorize(twin_id, "Brand", "marketing", db=db, at=start).licence_id == licence.id
    with pytest.raises(RightsError, match="expired at"):
        authorize(twin_id, "Brand", "marketing", db=db, at=end)  # the exact expiry instant is outside
    with pytest.raises(RightsError, match="starts at"):
        authorize(twin_id, "Brand", "marketing", db=db, at=start - timedelta(microseconds=1))
    with pytest.raises(RightsError, match="does not cover e-commerce"):
        authorize(twin_id, "Brand", "e-commerce", db=db)
    with pytest.raises(RightsError, match="holds no licence"):
        authorize(twin_id, "Other brand", "marketing", db=db)
    assert authorize(twin_id, "Brand", "marketing", db=db, territories=["FR"]).territories == ("FR",)
    with pytest.raises(RightsError, match="does not cover DE"):  # the consent covers DE, the licence does not
        authorize(twin_id, "Brand", "marketing", db=db, territories=["DE"])

    grant = authorize(twin_id, "Brand", "marketing", db=db)
    output = tmp_path / "out.bin"
    output.write_bytes(b"an output")
    assert record_output(grant, output, "test").seq == 1
    revoke_licence(db, licence.id)
    with pytest.raises(RightsError, match="was revoked"):
        record_output(grant, output, "test")  # a grant taken before the revocation no longer works
    with pytest.raises(RightsError, match="was revoked"):
        authorize(twin_id, "Brand", "marketing", db=db)
    assert ledger.verify(db).rows == 1


def _fill_ledger(db, twin_id: str, tmp_path: Path, rows: int) -> None:
    grant_licence(db, twin_id, licence_terms(starts_at=now() - timedelta(days=1)))
    grant = authorize(twin_id, "Brand", "marketing", db=db)
    for i in range(rows):
        output = tmp_path / f"out{i}.bin"
        output.write_bytes(f"output {i}".encode())
        record_output(grant, output, f"test {i}")


TAMPERING = {
    "edit": ["UPDATE ledger SET fee = 1 WHERE seq = 3"],
    "delete middle": ["DELETE FROM ledger WHERE seq = 3"],
    "delete last": ["DELETE FROM ledger WHERE seq = 5"],
    "reorder": ["UPDATE ledger SET seq = -2 WHERE seq = 2", "UPDATE ledger SET seq = 2 WHERE seq = 4",
                "UPDATE ledger SET seq = 4 WHERE seq = -2"],
    "rehash edit": None,  # an edit whose own hash is recomputed still breaks the next link
}


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_ledger_detects_tampering(db, consented, tmp_path, tamper):
    _, twin_id, _ = consented
    _fill_ledger(db, twin_id, tmp_path, rows=5)
    check = ledger.verify(db)
    assert check.ok and check.rows == 5 and check.head_seq == 5
    if TAMPERING[tamper] is None:
        with db.session() as session:
            row = session.get(ledger.LedgerRow, 3)
            row.licensee = "Someone else"
            row.hash = ledger.row_hash(row, row.prev_hash)
    else:
        with db.engine.begin() as connection:
            for statement in TAMPERING[tamper]:
                connection.exec_driver_sql(statement)
    check = ledger.verify(db)
    assert not check.ok, tamper
    result = CliRunner().invoke(twin, ["ledger", "verify", "--db", db.engine.url.render_as_string(False)])
    assert result.exit_code == 3 and "ledger chain broken" in result.output


WORKER = """
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from twinkit.rights.db import Registry
from twinkit.rights.enforce import authorize, publish_image

url, twin_id, out, worker, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
db = Registry.open(url)
grant = authorize(twin_id, "Brand", "marketing", db=db)
for i in range(count):  # "render": any synthetic image, different per worker and frame
    frame = out / f"raw-{worker}-{i}.png"
    pixels = np.random.default_rng(worker * 1000 + i).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(frame)
    publish_image(grant, frame, out / f"image-{worker}-{i}.png", f"worker {worker} frame {i}")
"""


def test_ten_processes_rendering_under_one_licence(db, db_url, consented, tmp_path):
    _, twin_id, _ = consented
    grant_licence(db, twin_id, licence_terms(starts_at=now() - timedelta(days=1)))
    out = tmp_path / "renders"
    out.mkdir()
    workers, per_worker = 10, 3
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, twin_id, str(out), str(w), str(per_worker)],
                              stderr=subprocess.PIPE) for w in range(workers)]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    with db.session() as session:
        rows = session.execute(sa.select(ledger.LedgerRow).order_by(ledger.LedgerRow.seq)).scalars().all()
    images = sorted(out.glob("image-*.png"))
    assert len(images) == len(rows) == workers * per_worker
    assert [r.seq for r in rows] == list(range(1, workers * per_worker + 1))
    by_hash = {}
    for row in rows:
        by_hash.setdefault(row.output_sha256, []).append(row.seq)
    assert sorted(by_hash) == sorted(sha256_file(p) for p in images)  # one row per output, none extra
    assert all(len(seqs) == 1 for seqs in by_hash.values())
    assert ledger.verify(db).ok


def test_upgrade_keeps_existing_records(db_url):
    engine = Registry.open(db_url, upgrade=False).engine
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO owners (id, name, created_at) VALUES ('o1', 'Old Owner', '2026-01-02 03:04:05')")
        connection.exec_driver_sql("INSERT INTO twins (id, owner_id, created_at) VALUES ('t1', 'o1', '2026-01-02 03:04:05')")
        connection.exec_driver_sql(
            "INSERT INTO consents (twin_id, uses, territories, starts_at, ends_at, currency, min_fee_per_image, "
            "min_fee_per_day, terms, document_sha256, recorded_at) VALUES ('t1', '[\"social\"]', '[\"WORLD\"]', "
            "'2026-01-01 00:00:00', '2027-01-01 00:00:00', 'EUR', 0, 0, '', 'aa', '2026-01-02 03:04:05')")
        connection.exec_driver_sql(
            "INSERT INTO licences (id, twin_id, consent_id, licensee, uses, territories, starts_at, ends_at, "
            "currency, fee_per_image, fee_per_day, granted_at) VALUES ('l1', 't1', 1, 'Old Brand', '[\"social\"]', "
            "'[\"WORLD\"]', '2026-01-01 00:00:00', '2027-01-01 00:00:00', 'EUR', 100, 0, '2026-01-02 03:04:05')")
    engine.dispose()
    upgraded = Registry.open(db_url)
    with upgraded.session() as session:
        licence = session.get(registry.Licence, "l1")
        assert (licence.licensee, licence.fee_per_image, licence.own_label) == ("Old Brand", 100, False)
        assert licence.twin.owner.name == "Old Owner"
        assert licence.starts_at == datetime(2026, 1, 1, tzinfo=UTC)
    grant = authorize("t1", "Old Brand", "social", db=upgraded, at=datetime(2026, 6, 1, tzinfo=UTC))
    assert grant.fee_per_image == 100


def test_monthly_report_amounts(db, consented, tmp_path):
    owner_id, twin_id, _ = consented
    _fill_ledger(db, twin_id, tmp_path, rows=3)  # 3 images at 12.50
    month_start = now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    grant_licence(db, twin_id, licence_terms(licensee="Daily", uses=["fit-testing"], fee_per_image=500,
                                             fee_per_day=10000, starts_at=month_start + timedelta(days=2, hours=5),
                                             ends_at=month_start + timedelta(days=12)))  # days 3..12: 10 days
    month = f"{month_start:%Y-%m}"
    lines = {line.licensee: line for line in monthly_report(db, month, owner_id)}
    assert (lines["Brand"].images, lines["Brand"].image_fees, lines["Brand"].uses) == (3, 3750, {"marketing": 3})
    assert (lines["Daily"].days, lines["Daily"].day_fees, lines["Daily"].total) == (10, 100000, 100000)
    rows = list(csv.DictReader(io.StringIO(as_csv(list(lines.values())))))
    assert {r["licensee"]: r["total"] for r in rows} == {"Brand": "37.50", "Daily": "1000.00"}
    assert json.loads(as_json(list(lines.values()), month))["lines"][0]["owner"] == "Ada Model"
    assert monthly_report(db, month, str(uuid.uuid4())) == []


def test_erasure_and_export(db, consented, tmp_path):
    owner_id, twin_id, folder = consented
    _fill_ledger(db, twin_id, tmp_path, rows=2)
    archive = registry.export_owner(db, owner_id, tmp_path / "export.zip")
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        records = json.loads(zipped.read("records.json"))
    assert f"twins/{twin_id}/{folder.name}/images/cam0.png" in names
    assert records["owner"]["name"] == "Ada Model" and len(records["ledger"]) == 2

    erased = registry.erase_owner(db, owner_id, "twin registry delete")
    assert not folder.exists() and erased.tombstones == [3]
    check = ledger.verify(db)
    assert check.ok and check.rows == 3
    with pytest.raises(RightsError, match="erased"):
        authorize(twin_id, "Brand", "marketing", db=db)
    with db.session() as session:
        owner = session.get(registry.Owner, owner_id)
        assert owner.name is None and owner.contact is None
        assert session.get(ledger.LedgerRow, 3).kind == "tombstone"


def test_cli_consent_licence_and_refusals(db_url, tmp_path):
    runner = CliRunner()
    owner = runner.invoke(twin, ["registry", "add-owner", "Cy", "--db", db_url]).output.strip()
    folder, twin_id = make_twin_folder(tmp_path)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF signed")
    result = runner.invoke(twin, ["consent", "record", str(folder), "--owner", owner, "--use", "marketing,social",
                                  "--territory", "WORLD", "--from", "2026-01-01", "--until", "2030-01-01",
                                  "--document", str(document), "--db", db_url])
    assert result.exit_code == 0, result.output
    grant = ["license", "grant", twin_id, "--licensee", "Brand", "--territory", "FR", "--from", "2026-01-01",
             "--until", "2029-01-01", "--fee-per-image", "2.50", "--db", db_url]
    refused = runner.invoke(twin, [*grant, "--use", "editorial"])
    assert refused.exit_code == 3 and "not in the consent" in refused.output
    bad = runner.invoke(twin, [*grant, "--use", "marketing", "--territory", "XX"])
    assert bad.exit_code == 2 and "unknown territory XX" in bad.output
    licence_id = runner.invoke(twin, [*grant, "--use", "marketing"]).output.strip()
    listed = json.loads(runner.invoke(twin, ["license", "list", "--json", "--db", db_url]).output)
    assert [(lic["id"], lic["fee_per_image"]) for lic in listed] == [(licence_id, 250)]
    assert runner.invoke(twin, ["license", "revoke", licence_id, "--db", db_url]).exit_code == 0
    with pytest.raises(RightsError, match="was revoked"):
        authorize(twin_id, "Brand", "marketing", db=Registry.open(db_url))
    unknown_db = runner.invoke(twin, ["ledger", "verify", "--db", "mysql://x/y"])
    assert unknown_db.exit_code == 2 and "unsupported database" in unknown_db.output


def _pre_territory_hash(prev_hash: str, values: dict) -> str:
    """A ledger row's hash as written before revision 0003 (no territories field), computed independently."""
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def test_territories_in_ledger_rows_report_and_verify(db_url, tmp_path):
    engine = Registry.open(db_url, upgrade=False).engine
    migrate(engine, "0002")
    prev = ledger.GENESIS
    with engine.begin() as connection:  # two rows written by a registry from before territories were recorded
        for seq in (1, 2):
            values = dict(seq=seq, entry_id=f"old-{seq}", kind="output", twin_id="t-old", owner_id="o-old",
                          licensee="Brand", use="marketing", licence_id="l-old", currency="EUR", fee=1250,
                          output_sha256=f"{seq}" * 64, command="twin render (old)",
                          created_at=datetime(2026, 10, 15, 12, 0, seq, tzinfo=UTC).isoformat(timespec="microseconds"))
            digest = _pre_territory_hash(prev, values)
            connection.exec_driver_sql(
                "INSERT INTO ledger (seq, entry_id, kind, twin_id, owner_id, licensee, use, licence_id, currency, fee, "
                f"output_sha256, command, created_at, prev_hash, hash) VALUES ({seq}, 'old-{seq}', 'output', 't-old', "
                f"'o-old', 'Brand', 'marketing', 'l-old', 'EUR', 1250, '{values['output_sha256']}', "
                f"'twin render (old)', '2026-10-15 12:00:0{seq}', '{prev}', '{digest}')")
            prev = digest
        connection.exec_driver_sql(f"UPDATE ledger_head SET seq = 2, hash = '{prev}'")
    engine.dispose()

    db = Registry.open(db_url)  # upgrades to head: the old rows stay and still verify
    assert ledger.verify(db).ok
    owner = registry.add_owner(db, "Ada Model")
    folder, twin_id = make_twin_folder(tmp_path)
    registry.record_consent(db, folder, owner.id, consent_terms())
    grant_licence(db, twin_id, licence_terms(territories=["DE", "FR"], starts_at=now() - timedelta(days=1)))
    image = tmp_path / "render.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(image)
    stated = authorize(twin_id, "Brand", "marketing", db=db, territories=["DE", "FR"])
    publish_image(stated, image, tmp_path / "stated.png", "twin render --territory DE,FR")
    unstated = authorize(twin_id, "Brand", "marketing", db=db)
    record_output(unstated, image, "twin render")
    check = ledger.verify(db)
    assert check.ok and check.rows == 4, check.problems
    with db.session() as session:
        territories = [session.get(ledger.LedgerRow, seq).territories for seq in (1, 2, 3, 4)]
    assert territories == [None, None, ["DE", "FR"], []]

    runner = CliRunner()
    url = db.engine.url.render_as_string(False)
    shown = runner.invoke(twin, ["verify", str(tmp_path / "stated.png"), "--db", url])
    assert shown.exit_code == 0 and "territories DE+FR" in shown.output, shown.output
    shown = json.loads(runner.invoke(twin, ["verify", str(tmp_path / "stated.png"), "--json", "--db", url]).output)
    assert shown["ledger"]["territories"] == ["DE", "FR"]

    month = f"{now():%Y-%m}"
    report = json.loads(runner.invoke(twin, ["ledger", "report", "--period", month, "--format", "json",
                                             "--db", url]).output)
    assert [line["territories"] for line in report["lines"]] == [{"DE+FR": 1, "unstated": 1}]
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(twin, ["ledger", "report", "--period", month, "--format", "csv", "--db", url]).output)))
    assert [(r["territories"], r["images"], r["total"]) for r in rows] == [("DE+FR:1 unstated:1", "2", "25.00")]
    october = json.loads(runner.invoke(twin, ["ledger", "report", "--period", "2026-10", "--format", "json",
                                              "--db", url]).output)
    assert [line["territories"] for line in october["lines"]] == [{"unstated": 2}]  # rows from before territories

    for tamper in ("""UPDATE ledger SET territories = '["FR"]' WHERE seq = 3""",
                   "UPDATE ledger SET territories = NULL WHERE seq = 4"):
        with db.engine.begin() as connection:
            connection.exec_driver_sql(tamper)
        assert not ledger.verify(db).ok, tamper
        with db.engine.begin() as connection:  # put the row back as written
            connection.exec_driver_sql("""UPDATE ledger SET territories = '["DE", "FR"]' WHERE seq = 3""")
            connection.exec_driver_sql("UPDATE ledger SET territories = '[]' WHERE seq = 4")
        assert ledger.verify(db).ok
