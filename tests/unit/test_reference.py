"""`quality_gated_update`: the reference flow, kept compatible (the CLI is tested in test_cli.py)."""


from __future__ import annotations

import pytest

from wap_notebook.reference import quality_gated_update


def test_bad_option_rejected():
    with pytest.raises(ValueError, match="on_success"):
        quality_gated_update("events", "s3://b/x", on_success="publish", client=object())
