"""S3 settings from the AWS environment: one source for pyarrow and PyIceberg, and never a secret in a repr."""

from __future__ import annotations

from wap_notebook.lakehouse import object_store


def test_settings_from_the_environment_feed_both_readers(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "localhost:9000/")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-value")
    settings = object_store.s3_settings()
    assert (settings.endpoint, settings.region) == ("https://localhost:9000", "eu-west-1")
    assert object_store.iceberg_io_properties() == {
        "s3.region": "eu-west-1", "s3.endpoint": "https://localhost:9000", "s3.access-key-id": "AKIDEXAMPLE",
        "s3.secret-access-key": "very-secret-value", "s3.session-token": "session-token-value"}
    assert "very-secret-value" not in repr(settings) and "session-token-value" not in repr(settings)
    # A rotated secret is another cache key (a fresh filesystem), but the key does not hold the secret itself.
    key = settings.cache_key()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rotated")
    assert object_store.s3_settings().cache_key() != key and "very-secret-value" not in repr(key)


def test_ignored_endpoint_and_uri_helpers(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert object_store.s3_settings().endpoint is None
    assert object_store.is_s3_uri("s3a://b/k") and object_store.s3_path("s3://b/k/x.parquet") == "b/k/x.parquet"
    assert object_store.is_local_uri("/tmp/x") and object_store.is_local_uri("file:///tmp/x")
    assert not object_store.is_local_uri("gs://b/k")
