"""S3 access from the standard AWS environment, for everything the embedded lakehouse reads from S3: source files
(imports), the data files of external tables, and Iceberg metadata registered from S3.

One set of settings (endpoint, region, credentials) read from the environment becomes either a pyarrow
`S3FileSystem` (sources, query views) or PyIceberg's FileIO properties (metadata, manifests, footers), so both
readers reach the same S3 with the same identity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyarrow.fs as pafs

# Schemes naming an S3 object; `s3a://` is Hadoop's spelling of the same thing.
S3_SCHEMES = ("s3://", "s3a://")


@dataclass(frozen=True)
class S3Settings:
    endpoint: str | None  # "scheme://host[:port][/path]", or None for AWS's own endpoints
    region: str
    key_id: str | None
    secret: str | None = field(repr=False)  # never in a log line or a traceback's locals
    token: str | None = field(repr=False)
    profile: str | None = None

    def cache_key(self) -> tuple[str | None, ...]:
        # The secret is part of the key (hashed) so rotated session credentials get a fresh filesystem.
        digest = (hashlib.sha256(f"{self.secret}\0{self.token}".encode()).hexdigest()[:16]
                  if self.key_id and self.secret else None)
        return (self.endpoint, self.region, self.key_id, self.profile, digest)


def s3_settings() -> S3Settings:
    """The S3 endpoint, region and credentials the AWS environment variables name (read on each call, so a
    changed environment applies to the next read)."""
    env = os.environ
    endpoint = None
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    if endpoint and "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    # Always pass a region: left to itself pyarrow may resolve it over the network.
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    return S3Settings(endpoint=endpoint.rstrip("/") if endpoint else None, region=region,
                      key_id=key_id, secret=secret, token=env.get("AWS_SESSION_TOKEN") or None,
                      profile=env.get("AWS_PROFILE"))


_FILESYSTEMS: dict[tuple[str | None, ...], pafs.S3FileSystem] = {}
_LOCK = threading.Lock()


def s3_filesystem() -> pafs.S3FileSystem:
    """A pyarrow S3 filesystem for the current AWS environment, cached per endpoint/region/credentials."""
    settings = s3_settings()
    key = settings.cache_key()
    with _LOCK:
        cached = _FILESYSTEMS.get(key)
        if cached is not None:
            return cached
        kwargs: dict[str, object] = {"region": settings.region}
        if settings.endpoint:
            parts = urlsplit(settings.endpoint)
            kwargs["endpoint_override"] = (parts.netloc + parts.path).rstrip("/")
            kwargs["scheme"] = parts.scheme or "https"
        if settings.key_id and settings.secret:
            kwargs.update(access_key=settings.key_id, secret_key=settings.secret, session_token=settings.token)
        # Otherwise pyarrow's default chain applies (config files, AWS_PROFILE, ...).
        filesystem = pafs.S3FileSystem(**kwargs)
        _FILESYSTEMS[key] = filesystem
        return filesystem


def iceberg_io_properties() -> dict[str, str]:
    """PyIceberg FileIO properties for the same S3 as `s3_filesystem` (empty values left out, so PyIceberg's
    own defaults and AWS's credential chain apply to what the environment does not say)."""
    settings = s3_settings()
    properties = {"s3.region": settings.region}
    if settings.endpoint:
        properties["s3.endpoint"] = settings.endpoint
    if settings.key_id and settings.secret:
        properties["s3.access-key-id"] = settings.key_id
        properties["s3.secret-access-key"] = settings.secret
        if settings.token:
            properties["s3.session-token"] = settings.token
    return properties


def is_s3_uri(uri: str) -> bool:
    return uri.lower().startswith(S3_SCHEMES)


def s3_path(uri: str) -> str:
    """`bucket/key` of an `s3://` (or `s3a://`) URI: the path pyarrow's S3 filesystem takes."""
    return uri.split("://", 1)[1]


def is_local_uri(uri: str) -> bool:
    """A plain path or a `file://` URI (anything else names a remote object store)."""
    return "://" not in uri or uri.startswith("file://")
