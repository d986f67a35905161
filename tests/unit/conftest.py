"""Unit tests: no S3 server (the layer must stay fast and runnable anywhere). Asking for one is an error."""

import pytest


@pytest.fixture(scope="session")
def s3_server():
    pytest.fail("tests/unit must not start an S3 server: move this test to tests/integration")
