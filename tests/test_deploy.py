"""deploy/: the compose file is valid Compose (schema check: Docker cannot run on these machines) and wires what the
service needs; the systemd units start what they should."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SCHEMA = json.loads((ROOT / "tests" / "vendor" / "compose-spec.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_the_compose_file_is_valid_against_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.Draft7Validator(SCHEMA).validate(compose)


def test_the_schema_check_refuses_what_compose_would_refuse(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["bot1"]["restart"] = ["always"]  # must be a string
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)
    broken = json.loads(json.dumps(compose))
    broken["services"]["caddy"]["prots"] = ["443:443"]  # a typo is not an extension
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)


def test_a_replica_set_of_three_two_bots_rasa_and_caddy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"mongo1", "mongo2", "mongo3", "mongo-init", "rasa", "bot1", "bot2", "caddy"} <= set(services)
    for name in ("mongo1", "mongo2", "mongo3"):
        assert "--replSet" in services[name]["command"] and "ports" not in services[name]
    for name in ("bot1", "bot2"):
        env = services[name]["environment"]
        assert "replicaSet=rs0" in env["MONGODB_URI"] and all(f"mongo{i}" in env["MONGODB_URI"] for i in (1, 2, 3))
        assert env["RASA_URL"] == "http://rasa:5005" and "ports" not in services[name]
        for dependency in services[name]["depends_on"]:
            assert dependency in services
    assert "ports" not in services["rasa"]  # NLU stays on the private network, with a token
    assert "launch.py" in services["rasa"]["command"]  # --auth-token from RASA_TOKEN, not on the command line
    assert "--auth-token" not in " ".join(services["rasa"]["command"])
    assert services["retention"]["command"] == ["python", "bot.py", "retention"]
    assert set(services["caddy"]["ports"]) >= {"80:80", "443:443"}


def test_caddy_proxies_to_every_bot_instance_with_automatic_https(compose: dict[str, Any]) -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    [upstreams] = re.findall(r"reverse_proxy ([^{]+)\{", caddyfile)
    bots = {name for name in compose["services"] if re.fullmatch(r"bot\d+", name)}
    assert set(upstreams.split()) == {f"{name}:8080" for name in bots}
    assert "{$PUBLIC_HOST} {" in caddyfile  # a host name: Caddy gets and renews its certificate by itself
    assert "tls internal" not in caddyfile and "http://" not in caddyfile


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def test_systemd_units_run_rasa_on_loopback_the_bot_per_port_and_the_retention_job_nightly() -> None:
    rasa = _unit("chania-rasa.service")
    assert "-i 127.0.0.1" in rasa["Service"]["ExecStart"] and "nlu/launch.py" in rasa["Service"]["ExecStart"]
    assert "RASA_TOKEN" not in rasa["Service"]["ExecStart"]  # the token comes from EnvironmentFile, not argv
    bot = _unit("chania-bot@.service")
    assert bot["Service"]["ExecStart"].endswith("bot.py run") and "PORT=%i" in bot["Service"]["Environment"]
    assert "chania-rasa.service" in bot["Unit"]["After"]
    retention = _unit("chania-retention.service")
    assert retention["Service"]["Type"] == "oneshot" and retention["Service"]["ExecStart"].endswith("retention")
    timer = _unit("chania-retention.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
    for name in ("chania-rasa.service", "chania-bot@.service", "chania-retention.service"):
        assert _unit(name)["Service"]["EnvironmentFile"] == "/etc/chania-bot/env"


def test_the_example_environment_names_only_real_settings() -> None:
    from bot.core.settings import Settings

    names = [line.split("=", 1)[0] for line in (DEPLOY / "chania-bot.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    assert names and all(n.lower() in Settings.model_fields for n in names)
