"""Demo helpers: a throw-away S3 endpoint on loopback filled with generated sample data.

    from wap_notebook.demo import local_s3

    s3 = local_s3()            # plain call: remember to s3.stop() (also stopped at interpreter exit)
    s3.uris["orders"]          # 's3://wap-demo/orders/batch-001/*.parquet'

    with local_s3() as s3:     # or as a context manager
        ...
"""

from __future__ import annotations

import atexit
import os
from typing import Any

from wap_notebook.demo.s3 import LocalS3, start_s3_server

__all__ = ["DemoS3", "local_s3", "DEMO_BUCKET"]

DEMO_BUCKET = "wap-demo"


class DemoS3:
    """A running moto S3 server holding the sample data; this process's AWS settings point at it."""

    def __init__(self, server: LocalS3, bucket: str, uris: dict[str, str], saved_env: dict[str, str | None]):
        self.server = server
        self.bucket = bucket
        self.uris = uris
        self._saved_env = saved_env
        self._stopped = False

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def stop(self) -> None:
        """Stop the server and restore the AWS environment variables; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        atexit.unregister(self.stop)

    def __enter__(self) -> DemoS3:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<DemoS3 {state} at {self.endpoint_url}, bucket {self.bucket!r}: {', '.join(self.uris)}>"


def local_s3(bucket: str = DEMO_BUCKET, *, port: int | None = None, upload: bool = True) -> DemoS3:
    """Start moto's S3 server on 127.0.0.1, point `os.environ`'s AWS settings at it (dummy credentials,
    so this kernel and anything it starts use it), create `bucket` and upload the sample data."""
    from wap_notebook.demo.sample_data import upload_samples

    server = start_s3_server(port)
    saved = {key: os.environ.get(key) for key in server.env}
    os.environ.update(server.env)
    demo = DemoS3(server, bucket, {}, saved)
    try:
        server.create_bucket(bucket)
        if upload:
            demo.uris = upload_samples(server, bucket)
    except BaseException:
        demo.stop()
        raise
    atexit.register(demo.stop)
    return demo
