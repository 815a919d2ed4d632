"""The user's trusted servers: one origin per entry, in a 0600 file, edited by `imgflow servers`."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from imgflow import trusted_servers, user_settings
from imgflow.cli import main
from imgflow.user_settings import UserSettingsError

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("given, expected", [
    ("gpu-box:8750", "http://gpu-box:8750"),
    ("HTTP://GPU-Box:8750/v1/", "http://gpu-box:8750"),
    ("https://example.org/imgflow", "https://example.org:443"),
    ("http://example.org", "http://example.org:80"),
    ("http://[::1]:8750", "http://[::1]:8750"),
    ("http://trusted.example@evil.example:1", "http://evil.example:1"),
])
def test_trust_is_per_origin(given, expected):
    assert trusted_servers.origin(given) == expected


@pytest.mark.parametrize("given, expected", [
    ("gpu-box:8750/", "http://gpu-box:8750"),
    ("https://u:p@Host/imgflow/?q=1#f", "https://host:443/imgflow"),
    ("http://127.0.0.1:9\\@evil.example:8750/", "http://evil.example:8750"),
])
def test_the_client_gets_the_address_as_checked(given, expected):
    assert trusted_servers.canonical(given) == expected
    assert trusted_servers.origin(trusted_servers.canonical(given)) == trusted_servers.origin(given)


@pytest.mark.parametrize("bad", ["", "ftp://host", "http://", "http://host:99999"])
def test_addresses_that_are_not_servers_are_refused_in_one_line(bad):
    with pytest.raises(ValueError) as info:
        trusted_servers.origin(bad)
    assert "\n" not in str(info.value)


def test_the_settings_file_is_the_users_alone_and_survives_a_failed_write(monkeypatch):
    trusted_servers.add("gpu-box:8750", "tok-1")
    path = user_settings.settings_path()
    assert path.parent == Path(os.environ["IMGFLOW_CONFIG_DIR"])
    assert mode(path) == 0o600
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(UserSettingsError, match="No space left"):
        trusted_servers.add("other:1")
    monkeypatch.undo()
    assert path.read_text() == before                     # the old file is whole
    assert [p.name for p in path.parent.iterdir()] == [path.name]   # no temp file left


def test_a_new_config_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_CONFIG_DIR", str(tmp_path / "new" / "imgflow"))
    trusted_servers.add("gpu-box:8750")
    assert mode(tmp_path / "new" / "imgflow") == 0o700


def test_add_keeps_or_replaces_the_token_and_remove_forgets_it():
    trusted_servers.add("http://gpu-box:8750/", "first")
    trusted_servers.add("gpu-box:8750")                    # again, without a token: kept
    assert trusted_servers.trusted_servers() == [
        trusted_servers.TrustedServer("http://gpu-box:8750", "first")]
    trusted_servers.set_token("gpu-box:8750", "second")
    assert trusted_servers.token_for("http://gpu-box:8750/some/path") == "second"
    trusted_servers.set_token("gpu-box:8750", None)
    assert trusted_servers.token_for("gpu-box:8750") is None
    assert trusted_servers.remove("gpu-box:8750") is True
    assert trusted_servers.remove("gpu-box:8750") is False
    assert not trusted_servers.is_trusted("gpu-box:8750")


def test_a_damaged_settings_file_is_a_one_line_error():
    path = user_settings.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    with pytest.raises(UserSettingsError, match="not valid JSON.*fix or delete it"):
        trusted_servers.is_trusted("gpu-box:8750")
    path.write_text(json.dumps({"servers": []}))
    with pytest.raises(UserSettingsError, match="not an imgflow settings file"):
        trusted_servers.trusted_servers()


def test_trust_for_one_run_ends_with_the_run():
    with trusted_servers.allowed_for_this_run(["gpu-box:8750", "not a url://"]):
        assert trusted_servers.is_trusted("http://gpu-box:8750/")
        with trusted_servers.allowed_for_this_run(["gpu-box:8750"]):
            pass
        assert trusted_servers.is_trusted("gpu-box:8750")   # the outer run still allows it
    assert not trusted_servers.is_trusted("gpu-box:8750")
    assert trusted_servers.trusted_servers() == []        # nothing was written


def test_cli_add_reads_the_token_once_and_list_never_shows_it(tmp_path, capsys):
    token_file = tmp_path / "token"
    token_file.write_text("sup3r-s3cret-t0ken\n")
    assert main(["servers", "add", "gpu-box:8750", "--token-file", str(token_file)]) == 0
    token_file.unlink()                                   # read once: the file is not needed again
    assert main(["servers", "add", "https://other.example"]) == 0
    assert trusted_servers.token_for("gpu-box:8750") == "sup3r-s3cret-t0ken"
    capsys.readouterr()
    assert main(["servers", "list"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["http://gpu-box:8750  (token set)",
                                    "https://other.example:443  (no token)"]
    assert "s3cret" not in out.out + out.err
    assert main(["servers", "remove", "http://gpu-box:8750"]) == 0
    assert main(["servers", "remove", "http://gpu-box:8750"]) == 1
    assert "not one of your trusted servers" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the token file"),
    ("", "must hold one token"),
    ("two words", "must hold one token"),
])
def test_cli_bad_token_files_change_nothing(tmp_path, capsys, content, message):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    assert main(["servers", "add", "gpu-box:8750", "--token-file", str(token_file)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert trusted_servers.trusted_servers() == []


def test_imgflow_servers_in_a_fresh_process_uses_the_config_folder(tmp_path):
    env = dict(os.environ, IMGFLOW_CONFIG_DIR=str(tmp_path / "cfg"), PYTHONPATH=str(ROOT))
    run = [sys.executable, "-m", "imgflow.cli", "servers"]
    subprocess.run([*run, "add", "127.0.0.1:8750"], env=env, check=True, capture_output=True)
    listed = subprocess.run([*run, "list"], env=env, check=True, capture_output=True, text=True)
    assert listed.stdout.strip() == "http://127.0.0.1:8750  (no token)"
    assert mode(tmp_path / "cfg" / "settings.json") == 0o600


def test_a_hand_edited_entry_counts_by_its_origin():
    user_settings.write({"servers": [{"url": "GPU-box:8750/", "token": "t"}, {"url": "gopher://x"},
                                     "junk"]})
    assert trusted_servers.is_trusted("http://gpu-box:8750")
    assert trusted_servers.token_for("gpu-box:8750") == "t"
    assert [s.url for s in trusted_servers.trusted_servers()] == ["http://gpu-box:8750"]


def test_servers_schedulers_and_buckets_share_one_list_each_by_its_own_key():
    pytest.importorskip("fsspec")
    for url in ("http://gpu-box:8750", "tcp://10.0.0.5:8786", "s3://photos-bucket/2024"):
        trusted_servers.add(url)
    assert [s.url for s in trusted_servers.trusted_servers()] == [
        "http://gpu-box:8750", "tcp://10.0.0.5:8786", "s3://photos-bucket"]
    assert trusted_servers.is_trusted("tcp://10.0.0.5")              # the scheduler's port
    assert not trusted_servers.is_trusted("tcp://10.0.0.6:8786")
    assert trusted_servers.storage_trusted("s3://photos-bucket/other/key.jpg")
    assert not trusted_servers.storage_trusted("s3://someone-elses-bucket/a.jpg")
