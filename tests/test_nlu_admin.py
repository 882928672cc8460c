"""Set-up of the Rasa side: finding Python 3.10, the venv no-op, model hashing, server start errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.rasa import server as nlu_admin
from bot.rasa.server import NluSetupError, RasaServer


def test_missing_python310_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NLU_PYTHON", raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(NluSetupError) as info:
        nlu_admin.find_python310()
    message = str(info.value)
    assert "Python 3.10 is required" in message and "pyenv install 3.10" in message and "NLU_PYTHON" in message


def test_python310_is_found_through_nlu_python(monkeypatch: pytest.MonkeyPatch) -> None:
    venv_python = nlu_admin.VENV_PYTHON
    if not venv_python.exists():
        pytest.skip("nlu/.venv not created yet")
    monkeypatch.setenv("NLU_PYTHON", str(venv_python))
    assert nlu_admin.find_python310() == venv_python


def test_a_python_that_is_not_310_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLU_PYTHON", shutil.which("python3") or "/usr/bin/python3")  # the 3.11 of this service
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(NluSetupError):
        nlu_admin.find_python310()


def test_ensure_nlu_env_is_a_no_op_when_the_marker_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    if not nlu_admin.ENV_MARKER.exists():
        pytest.skip("nlu/.venv has not been set up by ensure_nlu_env yet")

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("ensure_nlu_env ran a command although the environment is up to date")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert nlu_admin.ensure_nlu_env() == nlu_admin.VENV_PYTHON


def test_model_hash_follows_the_content_of_the_nlu_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "nlu"
    copy.mkdir()
    for name in nlu_admin.MODEL_INPUTS:
        source = nlu_admin.NLU_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    monkeypatch.setattr(nlu_admin, "NLU_DIR", copy)
    original = nlu_admin.model_hash()
    (copy / "components" / "__pycache__").mkdir(exist_ok=True)
    (copy / "components" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    (copy / "README.md").write_text("docs do not change the model")
    assert nlu_admin.model_hash() == original
    data = copy / "data" / "conversation.yml"
    data.write_text(data.read_text(encoding="utf-8") + "\n# a comment is content too\n", encoding="utf-8")
    assert nlu_admin.model_hash() != original


@pytest.mark.asyncio(loop_scope="session")
async def test_server_with_a_missing_model_says_so(tmp_path: Path) -> None:
    server = RasaServer(tmp_path / "nope.tar.gz")
    with pytest.raises(NluSetupError, match="model not found"):
        await server.start()
    assert not server.running
