"""The twin belongs to the person: consent, licences, the usage ledger and AI marks on every image.

``twinkit.rights.enforce`` is what producing commands use (``authorize``, ``record_output``,
``staged_output``, ``publish_image``); ``twinkit.rights.options.licensed_options`` adds the matching CLI
options (``optional_licensed_options`` for a QA command whose delivery elsewhere needs the licence).
The registry lives in a SQL database (SQLite by default, PostgreSQL for many seats) whose schema is
kept by the Alembic migrations shipped in ``rights/migrations``.
"""
