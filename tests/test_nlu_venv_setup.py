"""Setting up ``nlu/.venv`` (bot/rasa/server.py ``ensure_nlu_env``) prints progress lines only: pip's output goes to
a log file, and when it fails the error carries the log's last lines. Run on a temporary target directory, never on
the shared ``nlu/.venv``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rasa.server import ENV_MARKER, NluSetupError, _sha256_file, ensure_nlu_env


def progress_only(err: str) -> list[str]:
    lines = err.splitlines()
    assert lines and all(line.startswith("[nlu] ") for line in lines), err  # nothing of pip's
    return lines


@pytest.mark.timeout(300)
def test_setup_is_quiet_logs_pip_and_shows_the_logs_tail_when_it_fails(tmp_path: Path,
                                                                       capfd: pytest.CaptureFixture[str]) -> None:
    venv, log = tmp_path / ".venv", tmp_path / "nlu-venv.log"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("./no-such-package-1.0.tar.gz\n")

    with pytest.raises(NluSetupError) as failed:
        ensure_nlu_env(venv, requirements, module="pip", log_path=log)
    out, err = capfd.readouterr()
    assert out == ""
    assert [line.split(" ", 2)[1] for line in progress_only(err)] == ["creating", "installing"]
    message = str(failed.value)
    assert message.startswith(f"installing {requirements} failed (exit code 1); the last lines of {log}:")
    assert "No such file or directory" in message and "no-such-package-1.0.tar.gz" in message  # pip's own words
    assert "Requirement already satisfied: pip<24" in log.read_text()  # the whole of pip's output is in the log
    assert not (venv / ENV_MARKER.name).exists()  # a failed set-up is tried again next time

    requirements.write_text("")  # fixed: the venv is kept (no second "creating"), the install runs again
    python = ensure_nlu_env(venv, requirements, module="pip", log_path=log)
    out, err = capfd.readouterr()
    assert out == "" and [line.split(" ", 2)[1] for line in progress_only(err)] == ["installing", "pip"]
    assert python == venv / "bin" / "python" and python.exists()
    assert (venv / ENV_MARKER.name).read_text().strip() == _sha256_file(requirements)

    assert ensure_nlu_env(venv, requirements, module="pip", log_path=log) == python  # up to date: nothing to do
    assert capfd.readouterr() == ("", "")
