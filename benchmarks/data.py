"""Deterministic benchmark data: generated once (streaming, one chunk file at a time) into benchmarks/data/.

Every chunk is `chunk_rows` rows of the same 8 columns, drawn from numpy's generator seeded with
(SEED, chunk index), so a chunk is identical whatever the variant's other sizes and however often it is
regenerated. Chunks are laid out in tiers so that the N1 / N2 / N3 datasets are nested globs over the same
files: tier "a" holds N1 rows, tiers "a"+"b" hold N2, all tiers hold N3.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from benchmarks.config import Variant

SEED = 20240505
FORMAT_VERSION = 1  # bump when the generator changes: cached data is regenerated
STATUSES = ["new", "paid", "shipped", "delivered", "cancelled"]
STATUS_WEIGHTS = [0.1, 0.3, 0.3, 0.25, 0.05]
PREFIXES = ["ABC", "DEF", "GHI", "JKL", "MNO", "PQR", "STU", "VWX"]
CODE_REGEX = r"^[A-Z]{3}-[0-9]{6}$"
AMOUNT_RANGE = (0.0, 1000.0)
EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
YEAR_US = 365 * 24 * 3600 * 1_000_000

SCHEMA = pa.schema([
    pa.field("id", pa.int64()),
    pa.field("amount", pa.float64()),
    pa.field("quantity", pa.int64()),
    pa.field("status", pa.string()),
    pa.field("code", pa.string()),
    pa.field("created_at", pa.timestamp("us")),
    pa.field("flag", pa.bool_()),
    pa.field("score", pa.float64()),
])
DATA_ROOT = Path(__file__).resolve().parent / "data"


def generate_chunk(index: int, rows: int) -> pa.Table:
    """Chunk `index` of `rows` rows: ids are unique across chunks (shuffled within one)."""
    rng = np.random.default_rng([SEED, index, rows])
    ids = rng.permutation(rows).astype(np.int64) + index * rows
    amount = np.round(rng.uniform(*AMOUNT_RANGE, rows), 2)
    quantity = rng.integers(1, 100, rows, dtype=np.int64)
    status = pa.array(STATUSES).take(pa.array(rng.choice(len(STATUSES), rows, p=STATUS_WEIGHTS)))
    prefix = pa.array(PREFIXES).take(pa.array(rng.integers(0, len(PREFIXES), rows)))
    digits = pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 1_000_000, rows)), pa.string()), 6, "0")
    code = pc.binary_join_element_wise(prefix, digits, "-")
    created = pa.array(EPOCH_US + rng.integers(0, YEAR_US, rows), pa.int64()).cast(pa.timestamp("us"))
    flag = rng.random(rows) < 0.3
    score = rng.normal(50.0, 10.0, rows)
    score_nulls = rng.random(rows) < 0.05
    columns = [
        pa.array(ids), pa.array(amount), pa.array(quantity), status.cast(pa.string()), code.cast(pa.string()),
        created, pa.array(flag), pa.array(score, mask=score_nulls),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


@dataclass(frozen=True)
class Dataset:
    """Where a variant's generated files are, locally and (once uploaded) on S3."""

    variant: Variant
    root: Path

    @property
    def tiers(self) -> list[tuple[str, range]]:
        n1, n2, n3 = (n // self.variant.chunk_rows for n in self.variant.sizes)
        return [("a", range(0, n1)), ("b", range(n1, n2)), ("c", range(n2, n3))]

    def chunk_key(self, fmt: str, index: int) -> str:
        tier = next(name for name, chunks in self.tiers if index in chunks)
        suffix = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]
        return f"{fmt}/{tier}/part-{index:05d}.{suffix}"

    def local(self, key: str) -> Path:
        return self.root / key

    def chunks_for(self, n: int) -> list[int]:
        return list(range(n // self.variant.chunk_rows))

    def glob(self, fmt: str, n: int) -> str:
        """Search URI of the first n rows in `fmt` (nested tiers: one glob per size)."""
        n1, n2, _ = self.variant.sizes
        tiers = "a" if n <= n1 else "[ab]" if n <= n2 else "*"
        return f"s3://{BUCKET}/{fmt}/{tiers}/*.{fmt}"

    def keys_for(self, fmt: str, n: int) -> list[str]:
        return [self.chunk_key(fmt, i) for i in self.chunks_for(n)]

    def small_file(self, rows: int) -> Path:
        return self.root / "small" / f"rows-{rows}.parquet"

    def all_keys(self) -> list[str]:
        keys = [self.chunk_key("parquet", i) for i in self.chunks_for(self.variant.sizes[-1])]
        keys.append("small/rows-1000.parquet")  # row 11's small batch (`small_file(1_000)`)
        for fmt in ("csv", "jsonl"):
            keys += [self.chunk_key(fmt, i) for i in self.chunks_for(max(self.variant.text_sizes))]
        return keys


BUCKET = "bench"


def _write_text_formats(table: pa.Table, parquet_path: Path, csv_path: Path | None, jsonl_path: Path | None) -> None:
    if csv_path is not None:
        tmp = csv_path.with_suffix(".tmp")
        pcsv.write_csv(table, tmp)
        os.replace(tmp, csv_path)
    if jsonl_path is not None:
        import duckdb

        tmp = jsonl_path.with_suffix(".tmp")
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            con.execute("SET enable_progress_bar = false")
            src = str(parquet_path).replace("'", "''")
            dst = str(tmp).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{dst}' (FORMAT json)")
        finally:
            con.close()
        os.replace(tmp, jsonl_path)


def prepare(variant: Variant, root: Path | None = None, log=print) -> Dataset:
    """Generate whatever of the variant's data is missing (one chunk in memory at a time)."""
    root = Path(root or DATA_ROOT / variant.name)
    dataset = Dataset(variant, root)
    manifest_path = root / "manifest.json"
    manifest = {"format_version": FORMAT_VERSION, "seed": SEED, "chunk_rows": variant.chunk_rows}
    if manifest_path.exists() and json.loads(manifest_path.read_text()) != manifest:
        log(f"  data in {root} was generated with other parameters: regenerating")
        for path in sorted(root.rglob("*"), reverse=True):
            if path.is_file():
                path.unlink()
    root.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest))
    text_chunks = set(dataset.chunks_for(max(variant.text_sizes)))
    made = 0
    for index in dataset.chunks_for(variant.sizes[-1]):
        parquet_path = dataset.local(dataset.chunk_key("parquet", index))
        csv_path = dataset.local(dataset.chunk_key("csv", index)) if index in text_chunks else None
        jsonl_path = dataset.local(dataset.chunk_key("jsonl", index)) if index in text_chunks else None
        missing = [p for p in (parquet_path, csv_path, jsonl_path) if p is not None and not p.exists()]
        if not missing:
            continue
        for p in missing:
            p.parent.mkdir(parents=True, exist_ok=True)
        table = generate_chunk(index, variant.chunk_rows)
        if not parquet_path.exists():
            tmp = parquet_path.with_suffix(".tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, parquet_path)
        _write_text_formats(table, parquet_path, csv_path if csv_path in missing else None,
                            jsonl_path if jsonl_path in missing else None)
        made += 1
        del table
    small_sizes = {1_000, variant.branch_table_rows, variant.merge_table_rows}
    for rows in sorted(small_sizes):
        path = dataset.small_file(rows)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            table = generate_chunk(1_000_000 + rows, rows)  # its own seed: not a slice of the chunks
            pq.write_table(table, path)
    if made:
        log(f"  generated {made} chunk(s) of {variant.chunk_rows:,} rows in {root}")
    return dataset


def upload(dataset: Dataset, server, log=print) -> None:
    """Upload every chunk file to the moto server (single PUTs: no multipart re-assembly in moto)."""
    from boto3.s3.transfer import TransferConfig

    client = server.client()
    client.create_bucket(Bucket=BUCKET)
    config = TransferConfig(multipart_threshold=8 << 30, use_threads=False)
    total = 0
    for key in dataset.all_keys():
        path = dataset.local(key)
        client.upload_file(str(path), BUCKET, key, Config=config)
        total += path.stat().st_size
    log(f"  uploaded {len(dataset.all_keys())} files ({total / 1e6:,.0f} MB) to s3://{BUCKET} on {server.endpoint_url}")
