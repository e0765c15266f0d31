"""Settings: spec defaults, file < env < CLI precedence, one-line errors, warnings."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from minimost.config import RateLimits, SettingsError, load_settings
from minimost.datadir import prepare_data_dir


def test_defaults_are_the_specs(tmp_path: Path) -> None:
    settings, warnings = load_settings(overrides={"data_dir": tmp_path}, environ={})
    assert warnings == []
    assert settings.channels == ["general", "software", "firmware", "systems", "off-topic"]
    assert (settings.image_retention_days, settings.file_retention_days) == (30, 30)
    assert settings.message_retention_days == 770
    assert (settings.max_message_db_size_mb, settings.max_upload_dir_size_mb) == (1024, 2048)
    assert (settings.max_upload_size_mb, settings.max_avatar_size_mb) == (25, 5)
    assert settings.stun_port == 3478
    assert (settings.max_login_attempts, settings.lockout_duration_minutes) == (5, 15)
    assert settings.rate_limit_enabled is True
    assert settings.max_event_streams_per_user == 12
    assert settings.rate_limits == RateLimits(
        login=(60, 60), signup=(20, 3600), password_reset=(30, 3600), send=(240, 60),
        avatar=(60, 3600), create_channel=(60, 3600),
    )  # fmt: skip
    assert (settings.host, settings.port, settings.tls) == ("127.0.0.1", 5000, True)


def test_precedence_file_then_env_then_cli(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"stun_port": 4000, "max_login_attempts": 9, "port": 6000}))
    settings, _ = load_settings(
        settings_path=path,
        overrides={"port": 7000, "data_dir": tmp_path},
        environ={"MINIMOST_MAX_LOGIN_ATTEMPTS": "3", "MINIMOST_PORT": "6500"},
    )
    assert settings.stun_port == 4000  # file
    assert settings.max_login_attempts == 3  # env beats file
    assert settings.port == 7000  # CLI beats env


def test_env_json_values(tmp_path: Path) -> None:
    settings, _ = load_settings(
        overrides={"data_dir": tmp_path},
        environ={
            "MINIMOST_CHANNELS": '["Ops", "dev"]',
            "MINIMOST_RATE_LIMITS": '{"send": [5, 10]}',
        },
    )
    assert settings.channels == ["ops", "dev"]
    assert settings.rate_limits.send == (5, 10)
    assert settings.rate_limits.login == (60, 60)  # omitted actions keep their default


def test_unknown_keys_warn_and_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"chanels": ["x"], "rate_limits": {"sned": [1, 1]}}))
    settings, warnings = load_settings(
        settings_path=path, overrides={"data_dir": tmp_path}, environ={}
    )
    assert any("'chanels'" in w for w in warnings)
    assert any("'sned'" in w for w in warnings)
    assert settings.channels[0] == "general"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"stun_port": 70000}, "stun_port"),
        ({"rate_limits": {"send": "x"}}, "rate_limits.send"),
        ({"rate_limits": {"send": [0, 60]}}, "rate_limits.send.0"),
        ({"channels": []}, "channels"),
        ({"rate_limit_enabled": "maybe"}, "rate_limit_enabled"),
        ({"bus_url": "kafka://x"}, "bus_url"),
    ],
)
def test_bad_values_are_one_line_naming_the_key(
    tmp_path: Path, data: dict[str, object], needle: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SettingsError) as err:
        load_settings(settings_path=path, overrides={"data_dir": tmp_path}, environ={})
    message = str(err.value)
    assert "\n" not in message
    assert needle in message


def test_settings_file_in_data_dir_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"channels": ["lobby"]}))
    settings, _ = load_settings(overrides={"data_dir": tmp_path}, environ={})
    assert settings.channels == ["lobby"]


def test_data_dir_created_private_and_loose_one_tightened(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert prepare_data_dir(fresh) == []
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    warnings = prepare_data_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700
    assert len(warnings) == 1
    assert "755" in warnings[0]
