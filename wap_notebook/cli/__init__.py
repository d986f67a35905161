"""The command line: `python -m wap_notebook ingest ...` and the `wap-notebook` script."""
