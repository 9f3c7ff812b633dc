"""An operator's rebuild that cannot be whole says why in one line and exits 2."""

from __future__ import annotations

from typing import Any

import pytest

from kandoo.reporting.adapters.log_reader import LogGone
from kandoo.reporting.entrypoints import cli


def test_a_rebuild_of_a_log_with_holes_ends_with_the_reason_and_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def log_gone(*args: Any, **kwargs: Any) -> None:
        raise LogGone("records were deleted while the replay read them (offset 0)")

    monkeypatch.setattr(cli, "rebuild", log_gone)
    assert cli.main(["rebuild"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kandoo-reporting: records were deleted while the replay read them")
    assert "Traceback" not in err
