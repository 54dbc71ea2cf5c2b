"""API keys, stored next to the documents (kb.db): only a hash of each secret is kept.

A secret looks like `kb_<id>_<token>`: the id (12 hex digits) names the row, so checking a
key is one primary-key lookup and a constant-time comparison of SHA-256 hashes; the token
(`secrets.token_urlsafe(32)`, 256 random bits) is what makes it unguessable, which is also
why a plain SHA-256 is enough here (no password stretching needed for random secrets).
The secret is returned once, by `create`; lists show the id, name, role and prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from functools import cached_property

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import DBAPIError

from kb.config import Settings, get_settings
from kb.db import engine_for, writing
from kb.db.schema import api_keys
from kb.models import ROLES, ApiKey, Role

SECRET_PREFIX = "kb_"
ID_HEX = 12
_SECRET = re.compile(rf"{SECRET_PREFIX}([0-9a-f]{{{ID_HEX}}})_[A-Za-z0-9_-]{{43}}")
MAX_NAME = 200
# Recording every use would make each authenticated read a database write; once a minute is
# enough to tell a key in use from a forgotten one.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives timestamps back without their zone; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _record(row) -> ApiKey:
    return ApiKey(
        id=row.id, name=row.name, role=row.role, prefix=row.prefix, created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at), last_used_at=_utc(row.last_used_at),
    )


class KeyStore:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()

    @cached_property
    def engine(self) -> Engine:
        return engine_for(self.settings)

    def create(self, role: Role, name: str = "") -> tuple[ApiKey, str]:
        """A new key: (its record, its secret). The secret is not stored and cannot be shown again."""
        if role not in ROLES:
            raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
        name = (name or "").strip()
        if len(name) > MAX_NAME or "\x00" in name:
            raise ValueError(f"name: at most {MAX_NAME} characters, no NUL")
        key_id = secrets.token_hex(ID_HEX // 2)
        secret = f"{SECRET_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(
            id=key_id, name=name, role=role, prefix=f"{SECRET_PREFIX}{key_id}",
            created_at=dt.datetime.now(dt.UTC),
        )
        with writing(self.engine) as conn:
            conn.execute(insert(api_keys).values(
                id=record.id, name=record.name, role=record.role, prefix=record.prefix,
                secret_hash=_hash(secret), created_at=record.created_at,
            ))
        return record, secret

    def list(self, include_revoked: bool = True) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def get(self, key_id: str) -> ApiKey | None:
        if not isinstance(key_id, str) or len(key_id) > 64:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _record(row) if row else None

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key (at once, for every worker); None when there is no such key.
        Revoking a revoked key keeps its first revocation time."""
        if not isinstance(key_id, str) or len(key_id) > 64:
            return None
        # Accept the listed prefix too ("kb_<id>"), which is what users copy from a list.
        if key_id.startswith(SECRET_PREFIX):
            key_id = key_id[len(SECRET_PREFIX):]
        with writing(self.engine) as conn:
            conn.execute(
                update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=dt.datetime.now(dt.UTC))
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _record(row) if row else None

    def verify(self, secret: str | None) -> ApiKey | None:
        """The active key this secret belongs to, or None (unknown, malformed or revoked)."""
        match = _SECRET.fullmatch(secret) if isinstance(secret, str) else None
        row = None
        if match:
            with self.engine.connect() as conn:
                row = conn.execute(select(api_keys).where(api_keys.c.id == match.group(1))).first()
        # Compare even when there is no row, so that timing says nothing about which ids exist.
        given = _hash(secret) if match else _DUMMY_HASH
        stored = row.secret_hash if row else _DUMMY_HASH
        if not (hmac.compare_digest(given, stored) and row is not None and row.revoked_at is None):
            return None
        record = _record(row)
        now = dt.datetime.now(dt.UTC)
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            try:
                with writing(self.engine) as conn:
                    conn.execute(update(api_keys).where(api_keys.c.id == record.id).values(last_used_at=now))
                record.last_used_at = now
            except DBAPIError:
                pass  # a busy database must not turn a valid key away: the timestamp is a hint
        return record
