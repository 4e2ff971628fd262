"""Where `bdt serve` keeps things: a data folder and one SQLite file of submission records.

    data/
      bdt.sqlite3          submissions (one row per uploaded workbook)
      secret               the server key (cookies, CSRF tokens), 0600, made at first start
      files/<id>/source.xlsx   the upload, exactly as received (never changed, never served back)
      files/<id>/out/      what the library made: annotated, filled, report.html/json, result.json
      files/<id>/export.zip   the publication files, when asked for
      tmp/                 partial writes; emptied at start

Ids are 128-bit random (`secrets.token_urlsafe(16)`), never derived from what the client sent.
Every write is atomic (a temporary file in the same folder, fsync, `os.replace`), the upload is
in place before its record is committed, and a record says ``done`` only after its outputs are
in place: a server killed at any moment restarts with consistent records (`recover`: queued or
running work is queued again, folders without a record are removed).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import threading
import time
from pathlib import Path

QUEUED, RUNNING = "queued", "running"
PENDING = (QUEUED, RUNNING)
# finished statuses are those of toolkit.batch: ok, errors, unreadable, internal error
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created REAL NOT NULL,
  filename TEXT NOT NULL,
  suffix TEXT NOT NULL,
  size INTEGER NOT NULL,
  status TEXT NOT NULL,
  department TEXT, dept_code TEXT, year INTEGER,
  errors INTEGER DEFAULT 0, warnings INTEGER DEFAULT 0, infos INTEGER DEFAULT 0,
  message TEXT DEFAULT '',
  finished REAL,
  export_status TEXT, export_message TEXT DEFAULT ''
);
CREATE INDEX IF NOT EXISTS submissions_owner ON submissions(owner, created);
"""


def new_id() -> str:
    return secrets.token_urlsafe(16)


def valid_id(text: str) -> bool:
    return isinstance(text, str) and 16 <= len(text) <= 32 and all(c.isalnum() or c in "-_" for c in text)


def atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


class Store:
    """The data folder and its records. Safe to use from several threads (one lock, short calls)."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.files = self.root / "files"
        self.tmp = self.root / "tmp"
        for p in (self.root, self.files, self.tmp):
            p.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "bdt.sqlite3"
        self._lock = threading.Lock()
        with self._db() as db:
            db.executescript(SCHEMA)
        self.secret = self._secret()

    def _secret(self) -> bytes:
        path = self.root / "secret"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        return path.read_bytes()

    def _db(self):
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return _Closing(db, self._lock)

    # ------------------------------------------------------------ folders
    def folder(self, sid: str) -> Path:
        if not valid_id(sid):
            raise ValueError("bad id")
        return self.files / sid

    def source(self, row) -> Path:
        return self.folder(row["id"]) / ("source" + row["suffix"])

    def out(self, sid: str) -> Path:
        return self.folder(sid) / "out"

    def result(self, sid: str) -> dict | None:
        try:
            return json.loads((self.out(sid) / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------ records
    def add(self, owner: str, filename: str, suffix: str, stream) -> str:
        """Store an upload (a binary file object) under a new id, then record it as queued."""
        sid = new_id()
        folder = self.folder(sid)
        tmp = self.tmp / f"{sid}.part"
        size = 0
        with open(tmp, "wb") as fh:
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        folder.mkdir(parents=True)
        os.replace(tmp, folder / ("source" + suffix))
        with self._db() as db:
            db.execute("INSERT INTO submissions (id, owner, created, filename, suffix, size, status) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (sid, owner, time.time(), filename, suffix, size, QUEUED))
        return sid

    def get(self, sid: str):
        if not valid_id(sid):
            return None
        with self._db() as db:
            return db.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()

    def many(self, ids) -> list:
        ids = [i for i in ids if valid_id(i)]
        if not ids:
            return []
        with self._db() as db:
            rows = db.execute(f"SELECT * FROM submissions WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
        order = {i: k for k, i in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r["id"]])

    def mine(self, owner: str, limit: int = 200) -> list:
        with self._db() as db:
            return db.execute("SELECT * FROM submissions WHERE owner = ? ORDER BY created DESC LIMIT ?",
                              (owner, limit)).fetchall()

    def every(self) -> list:
        with self._db() as db:
            return db.execute("SELECT * FROM submissions ORDER BY created DESC").fetchall()

    def set_status(self, sid: str, status: str) -> None:
        with self._db() as db:
            db.execute("UPDATE submissions SET status = ? WHERE id = ?", (status, sid))

    def finish(self, sid: str, result: dict) -> None:
        """Record a finished check (its outputs are already in place)."""
        counts = result.get("counts") or {}
        with self._db() as db:
            db.execute("UPDATE submissions SET status = ?, department = ?, dept_code = ?, year = ?, errors = ?, "
                       "warnings = ?, infos = ?, message = ?, finished = ? WHERE id = ?",
                       (result["status"], result.get("department"), result.get("dept_code"), result.get("year"),
                        counts.get("error", 0), counts.get("warning", 0), counts.get("info", 0),
                        result.get("message") or "", time.time(), sid))

    def set_export(self, sid: str, status: str | None, message: str = "") -> None:
        with self._db() as db:
            db.execute("UPDATE submissions SET export_status = ?, export_message = ? WHERE id = ?",
                       (status, message, sid))

    # ------------------------------------------------------------ restart
    def recover(self) -> tuple[list[str], list[str]]:
        """After a stop at any moment: partial files removed, folders without a record removed.
        Returns (ids whose check must run again, ids whose export must run again)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            rows = db.execute("SELECT id, status, export_status FROM submissions").fetchall()
        known = {r["id"] for r in rows}
        for p in self.files.iterdir():
            if p.name not in known:
                shutil.rmtree(p, ignore_errors=True)
        checks, exports = [], []
        for r in rows:
            out = self.out(r["id"])
            for leftover in self.folder(r["id"]).glob("*.tmp*"):
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
            if r["status"] in PENDING:
                shutil.rmtree(out, ignore_errors=True)
                self.set_status(r["id"], QUEUED)
                checks.append(r["id"])
            elif r["export_status"] in PENDING:
                self.set_export(r["id"], QUEUED)
                exports.append(r["id"])
        return checks, exports


class _Closing:
    def __init__(self, db, lock):
        self.db, self.lock = db, lock

    def __enter__(self):
        self.lock.acquire()
        return self.db

    def __exit__(self, *exc):
        try:
            self.db.close()
        finally:
            self.lock.release()
        return False
