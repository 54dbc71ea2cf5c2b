"""`service.json`: how a CLI finds the service that holds this data directory.

The embedded index is one directory that one process may open. While the API
service holds it, it publishes its URL, pid and a per-process admin token in
`KB_DATA_DIR/service.json` (mode 0600, so only the same user can read the token);
the CLI then sends its commands to the service instead of failing on the lock.
The file is removed on shutdown; a stale one (dead pid) is ignored by readers.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from kb.config import Settings

NAME = "service.json"


@dataclass
class ServiceFile:
    path: Path
    url: str
    pid: int
    token: str

    @classmethod
    def publish(cls, settings: Settings) -> ServiceFile:
        path = Path(settings.data_dir) / NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        record = cls(path, f"http://{host}:{settings.port}", os.getpid(), secrets.token_urlsafe(32))
        tmp = path.with_name(f".{NAME}.{record.pid}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"url": record.url, "pid": record.pid, "token": record.token}, f)
        os.replace(tmp, path)
        return record

    @classmethod
    def read(cls, settings: Settings) -> ServiceFile | None:
        """The published service, or None when there is none or its process is gone."""
        path = Path(settings.data_dir) / NAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            record = cls(path, str(raw["url"]), int(raw["pid"]), str(raw["token"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if pid_alive(record.pid) else None

    def remove(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("pid") == self.pid:  # never remove a newer service's file
                self.path.unlink()
        except (OSError, ValueError):
            pass


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (one of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to another user
        return True
    except OSError:
        return False
    return True
