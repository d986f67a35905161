"""A throw-away S3 endpoint on loopback (moto's standalone server) for tutorials, tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from wap_notebook.errors import DemoFailed

# Dummy credentials: moto accepts any, and real ones must never be needed (or leaked) by a demo.
_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Keep SDKs from probing the EC2 metadata address: only loopback traffic is allowed here.
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalS3:
    """A running moto S3 server; `env` is what a client needs to reach it."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, **_boto_credentials())

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def upload_bytes(self, bucket: str, key: str, data: bytes) -> str:
        self.client().put_object(Bucket=bucket, Key=key, Body=data)
        return f"s3://{bucket}/{key}"

    def upload_file(self, bucket: str, key: str, path: str) -> str:
        self.client().upload_file(path, bucket, key)
        return f"s3://{bucket}/{key}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": _DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": _DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": _DUMMY_ENV["AWS_REGION"],
    }


def start_s3_server(port: int | None = None, *, timeout: float = 30.0) -> LocalS3:
    """Start `moto_server` on 127.0.0.1 in a subprocess and wait until it answers."""
    port = port or _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **_DUMMY_ENV},
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise DemoFailed(f"moto S3 server exited with code {process.returncode} before answering")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise DemoFailed(f"moto S3 server did not answer on {endpoint} within {timeout:.0f}s") from None
            time.sleep(0.05)
    return LocalS3(endpoint_url=endpoint, process=process, env={**_DUMMY_ENV, "AWS_ENDPOINT_URL": endpoint})


@contextmanager
def s3_environment(server: LocalS3) -> Iterator[LocalS3]:
    """Point this process's AWS configuration at `server` for the duration of the block."""
    saved = {key: os.environ.get(key) for key in server.env}
    os.environ.update(server.env)
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
