"""Keeping credentials out of anything a source URI is shown in (messages, logs, panels, commits).

Dependency-free so the engine, the panel and the embedded lakehouse all use the same rules.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(://)[^/@\s]+@")
_SECRET_QUERY = re.compile(r"(?i)([?&](?:x-amz-[a-z-]*|signature|token|key|secret|sig)[^=&]*=)[^&\s]*")


def redact_uri(uri: str) -> str:
    """Drop credentials a URI may carry (`user:secret@host`, signed query strings)."""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub(r"\1***@", str(uri)))


def has_embedded_credentials(uri: str) -> bool:
    """True when the URI carries a `user[:secret]@` part or a signed query string."""
    return bool(_USERINFO.search(uri) or _SECRET_QUERY.search(uri))
