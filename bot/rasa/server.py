"""Set-up and running of the Rasa NLU side (``nlu/``), from the service's Python 3.11. Never imports rasa.

* :func:`ensure_nlu_env` — ``nlu/.venv`` with Python 3.10 and ``nlu/requirements.txt``; a no-op when the marker
  file holds the hash of the requirements, otherwise creates or repairs it (found through pyenv or ``PATH``).
* :func:`ensure_model` / :func:`train` — a model per content hash of the NLU project (config, domain, data, custom
  components, normaliser, requirements) in ``nlu/models/nlu-<hash>.tar.gz``; trained only when missing.
* :class:`RasaServer` — ``rasa run --enable-api`` on 127.0.0.1 with a token, in its own process group, log in
  ``var/log/``; ``await start()`` returns when ``GET /status`` answers and a warm-up parse is done.

Concurrent callers (two test sessions, ``bot.py run`` during ``bot.py train``) are serialised by file locks, so a
model or an environment is built once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

import aiohttp

ROOT = Path(__file__).resolve().parent.parent.parent
NLU_DIR = ROOT / "nlu"
VENV_DIR = NLU_DIR / ".venv"
VENV_PYTHON = VENV_DIR / "bin" / "python"
TOKEN_ENV = "CHANIA_RASA_AUTH_TOKEN"  # noqa: S105 - the name of the variable nlu/launch.py reads, not a token
LAUNCHER = NLU_DIR / "launch.py"  # `rasa …` with the token from the environment, not the command line
RASA_BIN = VENV_DIR / "bin" / "rasa"
REQUIREMENTS = NLU_DIR / "requirements.txt"
MODELS_DIR = NLU_DIR / "models"
LOG_DIR = ROOT / "var" / "log"
ENV_MARKER = VENV_DIR / ".chania-requirements.sha256"
# Everything a trained model depends on; a change to any of these means a new model.
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "components", "chania_text.py", "requirements.txt")
KEEP_MODELS = 3
KEEP_LOGS = 10
SETUP_LOG_TAIL = 30  # lines of pip's log shown when setting up nlu/.venv fails


class NluSetupError(RuntimeError):
    """The NLU environment, model or server could not be prepared; the message says why and what to do."""


def _say(message: str) -> None:
    print(f"[nlu] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ Python 3.10 + venv
def _is_python310(python: Path) -> bool:
    try:
        out = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],  # noqa: S603
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "True"


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", name))


def _pyenv_candidates() -> list[Path]:
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    found: list[Path] = []
    for root in roots:
        versions = root / "versions"
        if versions.is_dir():
            dirs = sorted((d for d in versions.iterdir() if re.fullmatch(r"3\.10\.\d+", d.name)),
                          key=lambda d: _version_key(d.name), reverse=True)
            found.extend(d / "bin" / "python3.10" for d in dirs)
    return found


def find_python310() -> Path:
    """A Python 3.10 interpreter: ``$NLU_PYTHON``, else the newest pyenv 3.10.x, else ``python3.10`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("NLU_PYTHON"):
        candidates.append(Path(os.environ["NLU_PYTHON"]))
    candidates.extend(_pyenv_candidates())
    on_path = shutil.which("python3.10")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists() and _is_python310(candidate):
            return candidate
    raise NluSetupError(
        "Python 3.10 is required for the Rasa NLU environment (Rasa 3.6 does not run on newer Pythons) but none "
        "was found (looked at $NLU_PYTHON, pyenv's versions/3.10.* and python3.10 on PATH). Install it with "
        "`pyenv install 3.10` or your package manager, or set NLU_PYTHON=/path/to/python3.10.")


def _run_visible(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
                 what: str) -> None:
    """Run a command with its output on our stderr (visible progress); raise NluSetupError if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=sys.stderr, stderr=sys.stderr, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise NluSetupError(f"{what} failed (exit code {proc.returncode}): {' '.join(cmd)}")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _run_logged(cmd: list[str], log: IO[str], *, what: str, log_path: Path) -> None:
    """Run a command with its whole output in ``log`` (pip's hundreds of lines stay out of the terminal); on
    failure raise NluSetupError with the log's last lines and where the rest is."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    if proc.returncode != 0:
        log.flush()
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-SETUP_LOG_TAIL:])
        raise NluSetupError(f"{what} failed (exit code {proc.returncode}); the last lines of "
                            f"{_shown(log_path)}:\n{tail}")


def ensure_nlu_env(venv_dir: Path = VENV_DIR, requirements: Path = REQUIREMENTS, *, module: str = "rasa",
                   log_path: Path | None = None) -> Path:
    """The Python of ``nlu/.venv``, created or repaired first when it is missing or out of date. Only progress
    lines are printed; pip's output goes to ``var/log/nlu-venv.log`` (its tail is in the error if it fails).
    ``venv_dir``, ``requirements`` and ``module`` (imported to check the result) are for tests."""
    python, marker = venv_dir / "bin" / "python", venv_dir / ENV_MARKER.name
    wanted = _sha256_file(requirements)
    if python.exists() and marker.exists() and marker.read_text().strip() == wanted:
        return python
    with _file_lock(venv_dir.parent / f"{venv_dir.name}.lock"):
        if python.exists() and marker.exists() and marker.read_text().strip() == wanted:
            return python
        log_path = log_path or LOG_DIR / "nlu-venv.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log:
            if not (python.exists() and _is_python310(python)):
                base = find_python310()
                _say(f"creating {_shown(venv_dir)} with {base}")
                _run_logged([str(base), "-m", "venv", "--clear", str(venv_dir)], log, what="creating the Rasa venv",
                            log_path=log_path)
            _say(f"installing {_shown(requirements)} into {_shown(venv_dir)} (several minutes the first time; "
                 f"pip's output in {_shown(log_path)})")
            pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
            # Rasa 3.6's dependency metadata is rejected by pip >= 24.
            _run_logged([*pip, "install", "pip<24"], log, what="pinning pip", log_path=log_path)
            _run_logged([*pip, "install", "-r", str(requirements)], log, what=f"installing {_shown(requirements)}",
                        log_path=log_path)
        check = subprocess.run([str(python), "-c", f"import {module}; print({module}.__version__)"],  # noqa: S603
                               capture_output=True, text=True, env=rasa_env(), check=False)
        if check.returncode != 0:
            raise NluSetupError(f"{module} does not import in {venv_dir}:\n{check.stderr[-2000:]}")
        marker.write_text(wanted + "\n")
        _say(f"{module} {check.stdout.strip()} ready in {_shown(venv_dir)}")
    return python


def rasa_env() -> dict[str, str]:
    """Environment for rasa commands: the repo root on PYTHONPATH (custom components are ``nlu.components.*``),
    no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PATH"] = os.pathsep.join((str(VENV_DIR / "bin"), env.get("PATH", "")))
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV_DIR)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("RASA_MAX_CACHE_SIZE", "0")  # no training cache: honest training times, no nlu/.rasa growth
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --------------------------------------------------------------------------------------------------- models
def _input_files() -> list[Path]:
    files: list[Path] = []
    for name in MODEL_INPUTS:
        path = NLU_DIR / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            files.append(path)
    return sorted(files)


def model_hash() -> str:
    """Content hash of everything the model depends on (16 hex digits)."""
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(str(path.relative_to(NLU_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(digest: str | None = None) -> Path:
    return MODELS_DIR / f"nlu-{digest or model_hash()}.tar.gz"


def latest_model() -> Path | None:
    """The up-to-date model if it exists, else the newest model in ``nlu/models/``, else None."""
    current = model_path()
    if current.exists():
        return current
    models = sorted(MODELS_DIR.glob("nlu-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    return models[0] if models else None


def run_rasa_train(config: Path, out_dir: Path, name: str, data: Path | None = None) -> Path:
    """``rasa train nlu`` with ``config`` on ``data`` (default ``nlu/data``) into ``out_dir/name.tar.gz``; output
    stays visible."""
    ensure_nlu_env()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(RASA_BIN), "train", "nlu", "--config", str(config), "--nlu", str(data or NLU_DIR / "data"),
           "--domain", str(NLU_DIR / "domain.yml"), "--out", str(out_dir), "--fixed-model-name", name]
    _run_visible(cmd, cwd=NLU_DIR, env=rasa_env(), what="rasa train nlu")
    target = out_dir / f"{name}.tar.gz"
    if not target.exists():
        raise NluSetupError(f"rasa train finished but {target} is missing")
    return target


def train(force: bool = False) -> Path:
    """Train ``nlu/models/nlu-<hash>.tar.gz`` unless it already exists (or ``force``); returns its path."""
    digest = model_hash()
    target = model_path(digest)
    with _file_lock(MODELS_DIR / ".train.lock"):
        if target.exists() and not force:
            return target
        _say(f"training the NLU model {target.name} (inputs: {', '.join(MODEL_INPUTS)})")
        started = time.monotonic()
        tmp_name = f".tmp-{digest}-{os.getpid()}"
        built = run_rasa_train(NLU_DIR / "config.yml", MODELS_DIR, tmp_name)
        built.replace(target)
        _say(f"model ready: {target.relative_to(ROOT)} ({time.monotonic() - started:.0f} s)")
        _prune_models(keep=target)
    return target


def _registry_models() -> set[str]:
    """The current and previous models of ``nlu/models/registry.json`` (bot/rasa/promotion.py): never pruned."""
    try:
        data = json.loads((MODELS_DIR / "registry.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return set()
    return {name for name in (data.get("current"), data.get("previous")) if isinstance(name, str)}


def _prune_models(keep: Path) -> None:
    models = sorted(MODELS_DIR.glob("nlu-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    needed = _registry_models()
    for old in [m for m in models if m != keep and m.name not in needed][KEEP_MODELS - 1:]:
        old.unlink(missing_ok=True)


def ensure_model() -> Path:
    """The up-to-date model, trained first if needed (the NLU environment too)."""
    ensure_nlu_env()
    return train(force=False)


def cli_train(force: bool = False) -> int:
    """``python bot.py train [--force]``: exit code 0 when a model is ready."""
    try:
        ensure_nlu_env()
        digest = model_hash()
        if model_path(digest).exists() and not force:
            _say(f"model {model_path(digest).relative_to(ROOT)} is up to date (use --force to retrain)")
            return 0
        train(force=force)
    except NluSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prune_logs(keep: int) -> None:
    logs = sorted(LOG_DIR.glob("rasa-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[keep:]:
        old.unlink(missing_ok=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the Rasa server gets SIGTERM if the process that started it dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def new_rasa_token() -> str:
    """A random Rasa token that never begins with "-" (so no command line can take it for an option)."""
    return "t" + secrets.token_urlsafe(24)


class RasaServer:
    """A ``rasa run --enable-api`` process on 127.0.0.1 serving ``model``; use ``async with`` or start/stop."""

    def __init__(self, model: Path, port: int | None = None, token: str | None = None, *,
                 startup_timeout_s: float = 240.0, log_path: Path | None = None) -> None:
        self.model = Path(model)
        self.port = port
        self.token = token or new_rasa_token()
        self.startup_timeout_s = startup_timeout_s
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("RasaServer.url is known once start() has chosen a port")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        if not self.model.exists():
            raise NluSetupError(f"model not found: {self.model} (run `python bot.py train`)")
        if not RASA_BIN.exists():
            raise NluSetupError(f"{RASA_BIN} not found (run `python bot.py train` to set up nlu/.venv)")
        if self.port is None:
            self.port = free_port()
        if self.log_path is None:
            self.log_path = LOG_DIR / f"rasa-{self.port}.log"
            _prune_logs(keep=KEEP_LOGS - 1)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        # The token reaches Rasa through the environment, not the command line that `ps` shows to every user.
        cmd = [str(VENV_PYTHON), str(LAUNCHER), "run", "--enable-api", "-m", str(self.model),
               "-i", "127.0.0.1", "--port", str(self.port)]
        linux = sys.platform.startswith("linux")
        self._proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=NLU_DIR, env={**rasa_env(), TOKEN_ENV: self.token}, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent if linux else None)
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        params = {"token": self.token}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                if self._proc is None or self._proc.returncode is not None:
                    code = None if self._proc is None else self._proc.returncode
                    raise NluSetupError(f"the Rasa server exited during start-up (exit code {code}); "
                                        f"log {self.log_path}:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
                    async with session.get(f"{self.url}/status", params=params) as resp:
                        if resp.status == 200 and (await resp.json()).get("model_file"):
                            break
                if time.monotonic() > deadline:
                    raise NluSetupError(f"the Rasa server did not answer within {self.startup_timeout_s:.0f} s; "
                                        f"log {self.log_path}:\n{self.log_tail()}")
                await asyncio.sleep(0.5)
            # warm-up: the first parse pays for lazy initialisation
            async with session.post(f"{self.url}/model/parse", params=params, json={"text": "καλημέρα"}) as resp:
                resp.raise_for_status()

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n".join(line.replace(self.token, "***") for line in text)

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    async def __aenter__(self) -> RasaServer:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"RasaServer({self.model.name}, port={self.port}, {'running' if self.running else 'stopped'})"
