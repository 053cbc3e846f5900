"""Signed content updates (kiosk.updates): a real TUF repository made by IT's commands, read
by the kiosk's client from a folder (a USB stick) and from an HTTPS server started here
with a throw-away CA; tampering, rollback, expiry, a failed check, a power cut, a rotated
key and a first start are each refused or survived as docs/content-updates.md says."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import shutil
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata

from kiosk import crypto, paths, releases
from kiosk.cli import main
from kiosk.updates import client, keys, repository
from kiosk.updates.client import Client, Source, UpdateError

ROOT_PASSPHRASES = ("root one passphrase", "root two passphrase", "root three passphrase")
TARGETS = "targets passphrase"
# TUF judges expiry by the real clock: the repository is signed as of now.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _targets(_path: Path) -> str | None:
    return TARGETS


def _roots(path: Path) -> str | None:
    """Two of the three root key holders are there."""
    return {"root-1.json": ROOT_PASSPHRASES[0], "root-3.json": ROOT_PASSPHRASES[2]}.get(path.name)


class Repo:
    """A repository and its keys, as IT keeps them (the cheapest Argon2id: tests)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "repo"
        self.keys = folder / "keys"
        self.root_file = repository.init(
            self.folder, self.keys, ROOT_PASSPHRASES, TARGETS, cost=crypto.MIN_COST, now=NOW
        )

    def publish(self, content: Path, now: dt.datetime = NOW) -> repository.Published:
        data = repository.pack(content)
        return repository.publish(
            self.folder, self.keys, repository.CONTENT_TARGET, data, _targets, now
        )

    def stick(self, where: Path) -> Path:
        """The repository copied to a USB stick, as IT does."""
        shutil.copytree(self.folder, where)
        return where


def _content_version(folder: Path, version: str) -> Path:
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["content_version"] = version
    manifest.write_text(json.dumps(data), "utf-8")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "it")


@pytest.fixture
def kiosk(tmp_path: Path, repo: Repo) -> Client:
    """A kiosk shipped with the repository's first root, never updated yet."""
    return Client(tmp_path / "kiosk" / "updates", repo.root_file.read_bytes())


def _apply(kiosk: Client, source: Source, now: dt.datetime = NOW) -> Path | None:
    return client.apply(
        kiosk, source, kiosk.state.parent / "content", releases.check_content, lambda: now
    )


def _in_use(kiosk: Client) -> Path | None:
    return releases.current(kiosk.state.parent / "content")


def test_an_update_from_a_stick_is_checked_unpacked_and_switched_to(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    published = repo.publish(_content_version(content_dir, "2026.12-a"))
    stick = repo.stick(tmp_path / "stick")
    release = _apply(kiosk, Source(folder=stick))
    assert release is not None and _in_use(kiosk) == release
    assert release.name == f"2026.12-a-{published.sha256[:12]}"
    # The release is the content, file for file, and the kiosk's checks pass on it.
    assert releases.check_content(release) == "2026.12-a"
    for path in content_dir.rglob("*.json"):
        assert (release / path.relative_to(content_dir)).read_bytes() == path.read_bytes()
    # The same repository again: nothing new, nothing switched.
    assert _apply(kiosk, Source(folder=stick)) is None
    assert kiosk.trusted().targets_version == published.version


def test_the_same_folder_packs_to_the_same_bytes(content_dir: Path, tmp_path: Path) -> None:
    """A bundle's hash names its release: the same content is the same bundle anywhere."""
    import os

    copy = tmp_path / "copy"
    shutil.copytree(content_dir, copy)
    for path in copy.rglob("*.json"):  # another machine's times and modes
        os.utime(path, (1_000_000_000, 1_000_000_000))
        path.chmod(0o600)
    (copy / ".DS_Store").write_bytes(b"finder")  # a hidden file is not content
    assert repository.pack(content_dir) == repository.pack(copy)
    (copy / "en" / "extra.json").symlink_to(copy / "manifest.json")
    with pytest.raises(repository.RepositoryError, match="a link in the content folder"):
        repository.pack(copy)  # what the kiosk unpacks is what the check read


@pytest.fixture
def https_repo(repo: Repo, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The repository served over HTTPS on 127.0.0.1 by a certificate of a throw-away CA:
    its address and the CA's file."""
    import trustme

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = functools.partial(_QuietHandler, directory=str(repo.folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_update_over_https_with_the_clinics_ca(
    https_repo: tuple[str, Path], repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    url, ca_file = https_repo
    repo.publish(content_dir)
    release = _apply(kiosk, Source(url=url, ca_file=ca_file))
    assert release is not None and _in_use(kiosk) == release
    # Without the clinic's CA the server is not trusted, and nothing changes.
    with pytest.raises(UpdateError) as refused:
        _apply(Client(kiosk.state.parent / "other", repo.root_file.read_bytes()), Source(url=url))
    assert refused.value.kind == "unreachable"


@pytest.mark.parametrize("how", ["same length", "longer"])
def test_a_tampered_bundle_is_refused_and_nothing_changes(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path, how: str
) -> None:
    repo.publish(_content_version(content_dir, "first"))
    _apply(kiosk, Source(folder=repo.stick(tmp_path / "first")))
    before = _in_use(kiosk)
    published = repo.publish(_content_version(content_dir, "second"))
    stick = repo.stick(tmp_path / "stick")
    bundle = stick / "targets" / f"{published.sha256}.{repository.CONTENT_TARGET}"
    data = bytearray(bundle.read_bytes())
    if how == "same length":
        data[len(data) // 2] ^= 0x01
    else:
        data += b"more"
    bundle.write_bytes(bytes(data))
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=stick))
    assert refused.value.kind == "tampered"
    assert _in_use(kiosk) == before


def test_an_older_stick_after_a_newer_update_is_refused(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    repo.publish(_content_version(content_dir, "old"))
    old_stick = repo.stick(tmp_path / "old")
    repo.publish(_content_version(content_dir, "new"))
    new = _apply(kiosk, Source(folder=repo.stick(tmp_path / "new")))
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=old_stick))
    assert refused.value.kind == "older"
    assert _in_use(kiosk) == new


def test_an_expired_stick_is_too_old_and_says_so(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    repo.publish(content_dir, now=NOW - dt.timedelta(days=8))  # made 8 days ago
    stick = repo.stick(tmp_path / "stick")
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=stick))
    assert refused.value.kind == "expired"
    assert str(refused.value) == "this update stick is too old: make a new one"
    assert _in_use(kiosk) is None
    # Re-signed (the daily timer), the same content goes through.
    assert repository.resign(repo.folder, repo.keys, NOW) == ["timestamp"]
    assert _apply(kiosk, Source(folder=repo.stick(tmp_path / "fresh")))


def test_content_that_fails_the_kiosks_checks_is_not_switched_to(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    """A bundle signed by IT but broken (a page with a banned claim, a missing file) is
    refused by the kiosk's own checks: it stays on the release it has."""
    repo.publish(_content_version(content_dir, "good"))
    good = _apply(kiosk, Source(folder=repo.stick(tmp_path / "good")))
    assert good is not None
    (content_dir / "sources.json").write_text("{ not json", "utf-8")
    repo.publish(content_dir)
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=repo.stick(tmp_path / "broken")))
    assert refused.value.kind == "invalid" and "sources.json" in str(refused.value)
    assert _in_use(kiosk) == good
    assert [p.name for p in (kiosk.state.parent / "content" / "releases").iterdir()] == [good.name]


def test_a_power_cut_before_the_switch_changes_nothing(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut while unpacking (a ``.incoming-`` folder left) or after unpacking but before
    the pointer moved: the kiosk starts on what it had, and the next check finishes."""
    repo.publish(_content_version(content_dir, "one"))
    one = _apply(kiosk, Source(folder=repo.stick(tmp_path / "one")))
    root = kiosk.state.parent / "content"
    half = root / "releases" / ".incoming-cut"
    half.mkdir()
    (half / "manifest.json").write_text("{", "utf-8")
    repo.publish(_content_version(content_dir, "two"))

    def power_cut(_root: Path, _release: Path) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(releases, "switch", power_cut)
    with pytest.raises(SystemExit):
        _apply(kiosk, Source(folder=repo.stick(tmp_path / "two")))
    assert releases.current(root) == one
    monkeypatch.undo()
    two = _apply(kiosk, Source(folder=repo.stick(tmp_path / "two-again")))
    assert two is not None and two.name.startswith("two-")
    assert releases.current(root) == two and releases.previous(root) == one
    assert not half.exists()  # what the cut left is collected


def test_a_release_that_fails_where_it_runs_steps_back(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    repo.publish(_content_version(content_dir, "one"))
    one = _apply(kiosk, Source(folder=repo.stick(tmp_path / "one")))
    repo.publish(_content_version(content_dir, "two"))
    _apply(kiosk, Source(folder=repo.stick(tmp_path / "two")))
    root = kiosk.state.parent / "content"
    assert releases.step_back(root) == one
    assert releases.current(root) == one and releases.previous(root) is None
    assert releases.step_back(root) is None  # back to the content the kiosk shipped with
    assert releases.current(root) is None


def test_a_damaged_pointer_is_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "releases" / "x-0123456789ab").mkdir(parents=True)
    for text in ("../../etc", "/etc", "x-0123456789ab/..", ""):
        (root / releases.CURRENT).write_text(text, "ascii")
        assert releases.current(root) is None
    (root / releases.CURRENT).write_text("x-0123456789ab\n", "ascii")
    assert releases.current(root) == root / "releases" / "x-0123456789ab"


def test_a_rotated_targets_key_is_followed_and_the_old_one_refused(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    """The targets key leaked: two of the three root holders sign a new root naming a new
    key. Kiosks follow (one updated before, one never updated: it walks from the shipped
    root), and metadata signed with the old key no longer passes."""
    repo.publish(_content_version(content_dir, "before"))
    _apply(kiosk, Source(folder=repo.stick(tmp_path / "before")))
    old_key = keys.load_signer(keys.key_path(repo.keys, "targets", 1), TARGETS)
    new_key_file = repository.rotate(
        repo.folder, repo.keys, "targets", _roots, "new targets passphrase", crypto.MIN_COST, NOW
    )
    assert (
        json.loads((repo.folder / "metadata" / "root.json").read_bytes())["signed"]["version"] == 2
    )
    published = repository.publish(
        repo.folder,
        repo.keys,
        repository.CONTENT_TARGET,
        repository.pack(_content_version(content_dir, "after")),
        lambda _p: "new targets passphrase",
        NOW,
    )
    assert new_key_file.name == "targets-2.json"
    after = _apply(kiosk, Source(folder=repo.stick(tmp_path / "after")))
    assert after is not None and after.name.startswith("after-")
    fresh = Client(tmp_path / "fresh" / "updates", repo.root_file.read_bytes())
    assert _apply(fresh, Source(folder=repo.stick(tmp_path / "fresh-stick")))
    assert fresh.trusted().targets_version == published.version

    # Someone with the old key signs targets naming a bundle of their own: refused.
    forged = Metadata.from_bytes((repo.folder / "metadata" / "targets.json").read_bytes())
    forged.signed.version += 1
    forged.signatures.clear()
    forged.sign(old_key)
    for name in (f"{forged.signed.version}.targets.json", "targets.json"):
        (repo.folder / "metadata" / name).write_bytes(forged.to_bytes())
    # ... even with the online keys too: a snapshot and timestamp naming the forged targets.
    online = repository.Repository(repo.folder, repo.keys)
    online._snapshot_and_timestamp(NOW, online.signers("snapshot"), online.signers("timestamp"))
    assert online.load("snapshot").signed.meta["targets.json"].version == forged.signed.version
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=repo.stick(tmp_path / "forged")))
    assert refused.value.kind == "tampered"
    assert _in_use(kiosk) == after
    old_key.wipe()


def test_one_root_key_is_not_enough_to_change_the_keys(repo: Repo) -> None:
    with pytest.raises(crypto.KeysError, match="needs 2 of its keys; 1"):
        repository.rotate(
            repo.folder,
            repo.keys,
            "timestamp",
            lambda p: ROOT_PASSPHRASES[0] if p.name == "root-1.json" else None,
            None,
            crypto.MIN_COST,
            NOW,
        )


def test_a_wrong_passphrase_signs_nothing(repo: Repo, content_dir: Path) -> None:
    before = (repo.folder / "metadata" / "timestamp.json").read_bytes()
    with pytest.raises(crypto.KeysError, match="passphrase"):
        repository.publish(
            repo.folder, repo.keys, repository.CONTENT_TARGET, b"x", lambda _p: "wrong", NOW
        )
    assert (repo.folder / "metadata" / "timestamp.json").read_bytes() == before


def test_a_clock_behind_the_last_trusted_time_applies_nothing(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    """A clock set back would let an expired stick look fresh. The floor is when the
    repository signed what the kiosk last trusted (IT's time), not this clock: a clock that
    ran fast at a check does not lock updates out once it is put right."""
    repo.publish(content_dir)
    stick = repo.stick(tmp_path / "stick")
    _apply(kiosk, Source(folder=stick), NOW + dt.timedelta(days=5))  # a fast clock
    assert kiosk.floor.value() == NOW  # the timestamp's signing time
    assert _apply(kiosk, Source(folder=stick), NOW + dt.timedelta(hours=1)) is None
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=stick), NOW - dt.timedelta(days=1))
    assert refused.value.kind == "clock" and "set the clock" in str(refused.value)


def test_a_new_kiosks_clock_behind_its_root_applies_nothing(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path
) -> None:
    """A kiosk that never checked has a floor too: when the root it was shipped with was
    signed (a clock a year behind would take a year-old stick as fresh)."""
    repo.publish(content_dir)
    stick = repo.stick(tmp_path / "stick")
    assert kiosk.floor.value() is None
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=stick), NOW - dt.timedelta(days=2))
    assert refused.value.kind == "clock" and _in_use(kiosk) is None
    assert _apply(kiosk, Source(folder=stick), NOW) is not None


def test_a_kiosk_without_a_root_cannot_update(tmp_path: Path, repo: Repo) -> None:
    with pytest.raises(UpdateError) as refused:
        Client(tmp_path / "bare", None).fetch(Source(folder=repo.folder))
    assert refused.value.kind == "setup"


def test_keys_and_repository_are_never_overwritten(repo: Repo) -> None:
    with pytest.raises(repository.RepositoryError, match="already there"):
        repository.init(repo.folder, repo.keys, ROOT_PASSPHRASES, TARGETS, cost=crypto.MIN_COST)
    with pytest.raises(repository.RepositoryError, match="keys are already there"):
        repository.init(
            repo.folder.parent / "other", repo.keys, ROOT_PASSPHRASES, TARGETS, cost=crypto.MIN_COST
        )


def test_offline_keys_are_sealed_and_online_keys_private(repo: Repo) -> None:
    for path in sorted(repo.keys.iterdir()):
        key_file = keys.read(path)
        assert (key_file.key.kdf == "none") is (key_file.role in keys.ONLINE), path.name
        assert path.stat().st_mode & 0o077 == 0  # this account's alone
        if key_file.key.kdf != "none":
            assert not any(p in path.read_text("utf-8") for p in (*ROOT_PASSPHRASES, TARGETS))


def test_publish_refuses_content_that_is_not_ready_for_patients(
    tmp_path: Path, content_dir: Path, filled_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """IT's commands end to end (the real Argon2id cost): `kiosk content publish` signs only
    what `kiosk content check --release` passes."""
    import io

    repo_dir, keys_dir = tmp_path / "repo", tmp_path / "keys"
    answers = "\n".join([*ROOT_PASSPHRASES, TARGETS]) + "\n"
    with contextlib.redirect_stdout(io.StringIO()), _stdin(answers):
        code = main(
            [
                "content",
                "keys",
                "init",
                "--repo",
                str(repo_dir),
                "--keys",
                str(keys_dir),
                "--passphrase-stdin",
            ]  # fmt: skip
        )
    assert code == 0
    # The targets key lives on the publisher's stick; the online keys on the host.
    stick = tmp_path / "targets-stick"
    stick.mkdir()
    (keys_dir / "targets-1.json").rename(stick / "targets-1.json")
    publish = ["content", "publish", "--repo", str(repo_dir), "--keys", str(keys_dir),
               "--keys", str(stick), "--passphrase-stdin"]  # fmt: skip
    with _stdin(TARGETS + "\n"):
        assert main([*publish, str(content_dir)]) == 1  # the example config: not ready
    assert "not published" in capsys.readouterr().err
    with _stdin(TARGETS + "\n"):
        assert main([*publish, "--config", str(filled_config)]) == 0
    assert "published" in capsys.readouterr().out
    kiosk = Client(tmp_path / "kiosk", (repo_dir / "metadata" / "1.root.json").read_bytes())
    fetched = kiosk.fetch(Source(folder=repo_dir))
    assert fetched is not None and fetched.targets_version == 2


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    import io
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def test_a_renewed_root_keeps_kiosks_updating_past_the_old_roots_year(
    tmp_path: Path, content_dir: Path
) -> None:
    """The yearly ceremony. A repository set up 400 days ago: its first root has expired,
    and kiosks say who must act. Two root holders sign it for another year; a kiosk shipped
    with the expired first root walks to the new one and takes the content."""
    old = Repo.__new__(Repo)
    old.folder, old.keys = tmp_path / "repo", tmp_path / "keys"
    old.root_file = repository.init(
        old.folder, old.keys, ROOT_PASSPHRASES, TARGETS, cost=crypto.MIN_COST,
        now=NOW - dt.timedelta(days=400),
    )  # fmt: skip
    old.publish(_content_version(content_dir, "late"))
    kiosk = Client(tmp_path / "kiosk" / "updates", old.root_file.read_bytes())
    with pytest.raises(UpdateError) as refused:
        _apply(kiosk, Source(folder=old.stick(tmp_path / "before")))
    assert refused.value.kind == "expired" and "renew-root" in str(refused.value)
    expires = repository.renew_root(old.folder, old.keys, _roots, NOW)
    assert expires == NOW + dt.timedelta(days=repository.EXPIRY_DAYS["root"])
    release = _apply(kiosk, Source(folder=old.stick(tmp_path / "after")))
    assert release is not None and release.name.startswith("late-")
    trusted = Metadata.from_bytes((kiosk.metadata_dir / "root.json").read_bytes())
    assert (trusted.signed.version, trusted.signed.expires) == (2, expires)


@pytest.mark.parametrize("role", ["snapshot", "timestamp"])
def test_a_rotated_online_key_signs_on_and_kiosks_follow(
    tmp_path: Path, repo: Repo, kiosk: Client, content_dir: Path, role: str
) -> None:
    repo.publish(_content_version(content_dir, "one"))
    _apply(kiosk, Source(folder=repo.stick(tmp_path / "one")))
    path = repository.rotate(repo.folder, repo.keys, role, _roots, None, crypto.MIN_COST, NOW)
    assert path.name == f"{role}-2.json"
    assert repository.resign(repo.folder, repo.keys, NOW) == ["timestamp"]  # the new keys sign
    repo.publish(_content_version(content_dir, "two"))
    release = _apply(kiosk, Source(folder=repo.stick(tmp_path / "two")))
    assert release is not None and release.name.startswith("two-")


def test_a_change_missing_a_key_writes_nothing(repo: Repo, content_dir: Path) -> None:
    """A root ceremony on a machine without the online keys, or a publish with the targets
    key alone: refused before any file of the repository changes."""

    def snapshot_of_repository() -> dict[str, bytes]:
        files = sorted(p for p in repo.folder.rglob("*") if p.is_file())
        return {p.name: p.read_bytes() for p in files if p.name != ".lock"}

    before = snapshot_of_repository()
    (repo.keys / "timestamp-1.json").rename(repo.keys.parent / "timestamp-1.json")
    with pytest.raises(crypto.KeysError, match="timestamp role"):
        repository.rotate(
            repo.folder, repo.keys, "targets", _roots, "new targets passphrase", crypto.MIN_COST
        )
    with pytest.raises(crypto.KeysError, match="timestamp role"):
        repository.publish(
            repo.folder, repo.keys, repository.CONTENT_TARGET, repository.pack(content_dir),
            _targets, NOW,
        )  # fmt: skip
    with pytest.raises(crypto.KeysError, match="timestamp role"):
        repository.resign(repo.folder, repo.keys, NOW)
    assert snapshot_of_repository() == before


def test_resign_fails_loudly_before_the_offline_signatures_run_out(
    tmp_path: Path, content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The daily timer's command exits 1 (so its status shows it) from two weeks before the
    targets' 90 days end: renewing them needs a person with the targets key."""
    old = Repo.__new__(Repo)
    old.folder, old.keys = tmp_path / "repo", tmp_path / "keys"
    old.root_file = repository.init(
        old.folder, old.keys, ROOT_PASSPHRASES, TARGETS, cost=crypto.MIN_COST,
        now=NOW - dt.timedelta(days=80),
    )  # fmt: skip
    where = ["--repo", str(old.folder), "--keys", str(old.keys)]
    assert main(["content", "resign", *where]) == 1
    err = capsys.readouterr().err
    assert "the targets signature expires" in err and "resign --targets" in err
    with _stdin(TARGETS + "\n"):
        assert main(["content", "resign", *where, "--targets", "--passphrase-stdin"]) == 0
    assert "renewed: targets, snapshot, timestamp" in capsys.readouterr().out


def _kiosk_config(tmp_path: Path, repo: Repo, stick_only: bool = True) -> Path:
    """A kiosk.toml with [updates]: the repository's first root, its data beside it."""
    config = tmp_path / "kiosk-updates.toml"
    config.write_text(
        f'db_path = "{(tmp_path / "kiosk-data" / "kiosk.db").as_posix()}"\n'
        f'[updates]\nroot = "{repo.root_file.as_posix()}"\n',
        "utf-8",
    )
    return config


def test_the_kiosk_runs_on_the_release_in_use_and_steps_back_from_a_broken_one(
    tmp_path: Path,
    repo: Repo,
    content_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`kiosk content update --from STICK` on a kiosk with [updates]: its content is the
    new release from then on (`kiosk --version`, `kiosk doctor`); a release that fails
    the checks at a later start (a damaged disk) is left for the one before it."""
    from kiosk.cli import _content_for_run
    from kiosk.config import load_settings
    from kiosk.doctor import check_updates

    config = _kiosk_config(tmp_path, repo)
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    settings, _ = load_settings(config)
    shipped = settings.content_path()
    assert shipped == paths.bundled_content_dir()  # no release yet
    repo.publish(_content_version(content_dir, "2026.12-first"))
    assert main(["content", "update", "--from", str(repo.stick(tmp_path / "s1"))]) == 0
    assert "updated: switched to 2026.12-first-" in capsys.readouterr().out
    first = settings.content_path()
    assert first != shipped and first.name.startswith("2026.12-first-")
    assert main(["--version"]) == 0
    version = capsys.readouterr().out
    assert "content 2026.12-first\n" in version and f"updates: {first.name}" in version
    result = check_updates(settings)
    assert result is not None and result.ok and first.name in result.detail

    repo.publish(_content_version(content_dir, "2026.12-second"))
    assert main(["content", "update", "--from", str(repo.stick(tmp_path / "s2"))]) == 0
    second = settings.content_path()
    assert second.name.startswith("2026.12-second-")
    (second / "sources.json").write_text("{ damaged", "utf-8")
    content, warning = _content_for_run(settings)
    assert warning is None and content.manifest.content_version == "2026.12-first"
    assert settings.content_path() == first
    # The same update again: the damaged copy is unpacked afresh, not trusted as it is.
    assert main(["content", "update", "--from", str(repo.stick(tmp_path / "s2-again"))]) == 0
    assert settings.content_path().name == second.name
    assert releases.check_content(settings.content_path()) == "2026.12-second"

    # A refused update is said plainly, and the kiosk keeps what it has.
    old = repo.stick(tmp_path / "s-old")
    repo.publish(_content_version(content_dir, "2026.12-third"))
    assert main(["content", "update", "--from", str(repo.stick(tmp_path / "s3"))]) == 0
    capsys.readouterr()
    assert main(["content", "update", "--from", str(old)]) == 1
    assert "not updated (older)" in capsys.readouterr().err
    result = check_updates(settings)
    assert result is not None and not result.ok and "older" in result.detail


def test_a_kiosk_without_updates_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "plain.toml"
    config.write_text(f'db_path = "{(tmp_path / "kiosk.db").as_posix()}"\n', "utf-8")
    assert main(["content", "update", "--config", str(config), "--from", str(tmp_path)]) == 1
    assert "no [updates] table" in capsys.readouterr().err


# --- managed configuration: site and kiosk files as targets ---------------------------------


def _publish_config(repo: Repo, name: str, text: str) -> repository.Published:
    """A configuration file signed as IT's targets key signs it (no check of its keys: what
    a careless or hostile signer could publish)."""
    return repository.publish(repo.folder, repo.keys, name, text.encode("utf-8"), _targets, NOW)


def _managed_kiosk(tmp_path: Path, repo: Repo, extra: str = "") -> Path:
    """kiosk.toml of kiosk "ist-2" at site "istanbul", with its own idle and attract times."""
    config = tmp_path / "kiosk-managed.toml"
    config.write_text(
        f'kiosk_id = "ist-2"\nidle_seconds = 90\nattract_seconds = 20\n{extra}'
        f'db_path = "{(tmp_path / "kiosk-data" / "kiosk.db").as_posix()}"\n'
        f'[updates]\nroot = "{repo.root_file.as_posix()}"\nsite = "istanbul"\n',
        "utf-8",
    )
    return config


def _update(config: Path, stick: Path) -> int:
    return main(["content", "update", "--config", str(config), "--from", str(stick)])


def test_site_and_kiosk_files_are_taken_and_win_over_the_kiosks_own(
    tmp_path: Path, repo: Repo, content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The site's file, then the kiosk's own file, over kiosk.toml for the keys they set
    (the rest stays the kiosk's); another kiosk's or site's file is not taken; doctor and
    --version say which file set what."""
    from kiosk.config import apply_managed, load_settings
    from kiosk.doctor import check_managed

    repo.publish(content_dir)
    _publish_config(
        repo, "config/site-istanbul.toml", 'idle_seconds = 200\nclinic_name = "Şişli Clinic"\n'
    )
    _publish_config(repo, "config/kiosk-ist-2.toml", "idle_seconds = 300\n")
    _publish_config(repo, "config/kiosk-ist-3.toml", "idle_seconds = 999\nstaff_taps = 7\n")
    _publish_config(repo, "config/site-ankara.toml", "attract_mode = false\n")
    config = _managed_kiosk(tmp_path, repo)
    assert _update(config, repo.stick(tmp_path / "stick")) == 0
    assert "configuration changed (clinic_name, idle_seconds); the running kiosk restarts" in (
        capsys.readouterr().out
    )
    assert _update(config, repo.stick(tmp_path / "again")) == 0
    assert capsys.readouterr().out == "current: the content in use is the newest\n"

    local, _ = load_settings(config, managed=False)
    assert (local.idle_seconds, local.clinic_name) == (90, "Lupus Information Point")
    settings, managed = apply_managed(local)
    assert settings.idle_seconds == 300  # the kiosk's file wins over its site's
    assert settings.clinic_name == "Şişli Clinic"
    assert (settings.attract_seconds, settings.attract_mode, settings.staff_taps) == (20, True, 5)
    assert load_settings(config)[0] == settings  # every command sees the same settings
    assert managed.keys == {
        "idle_seconds": "config/kiosk-ist-2.toml",
        "clinic_name": "config/site-istanbul.toml",
    }
    result = check_managed(managed)
    assert result.ok and result.detail == (
        "config/site-istanbul.toml sets clinic_name; config/kiosk-ist-2.toml sets "
        "idle_seconds (over kiosk.toml)"
    )
    with _env("KIOSK_CONFIG", str(config)):
        assert main(["--version"]) == 0
    assert "configuration: 2 keys from config/kiosk-ist-2.toml, config/site-istanbul.toml" in (
        capsys.readouterr().out
    )


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    import os

    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            del os.environ[name]
        else:
            os.environ[name] = saved


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # Where the patients' data goes and whom the kiosk trusts are the machine's own.
        ('db_path = "/media/stick/kiosk.db"\n', "key 'db_path' is set in each kiosk's own"),
        ('[fleet]\nhost = "elsewhere.example"\n', "key 'fleet' is set in each kiosk's own"),
        ('[updates]\nroot = "/tmp/other-root.json"\n', "key 'updates' is set"),
        ("idle_seconds = 5\n", "key 'idle_seconds': Expected `int` >= 20"),
        ("idle_secs = 120\n", "unknown key 'idle_secs'"),
        ("idle_seconds = \n", "not valid TOML"),
        # How long requests are kept, never shorter by a signed file.
        ("unexported_max_days = 7\n", "key 'unexported_max_days' is set in each kiosk's own"),
        # Sound alone, but not with this kiosk's own file (French is not among its languages).
        ('default_language = "fr"\n', "key 'default_language': 'fr' is not one of languages"),
        # A banned claim never reaches the screen from a file.
        ('clinic_name = "The best lupus clinic in Istanbul"\n', "key 'clinic_name'"),
    ],
)
def test_a_file_that_oversteps_or_does_not_fit_is_not_taken(
    tmp_path: Path,
    repo: Repo,
    content_dir: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    said: str,
) -> None:
    """The kiosk keeps what it had (its site's file here), and says why, for the staff
    screen, the heartbeat and IT."""
    from kiosk.config import load_settings
    from kiosk.doctor import check_updates

    repo.publish(content_dir)
    _publish_config(repo, "config/site-istanbul.toml", "idle_seconds = 200\n")
    config = _managed_kiosk(tmp_path, repo, extra="retention_days = 30\n")
    assert _update(config, repo.stick(tmp_path / "first")) == 0
    _publish_config(repo, "config/kiosk-ist-2.toml", text)
    assert _update(config, repo.stick(tmp_path / "second")) == 1
    err = capsys.readouterr().err
    # (A rule across keys names the files together: "config/site-istanbul.toml +
    # config/kiosk-ist-2.toml".)
    assert "not updated (invalid): configuration not taken: config/" in err
    assert "config/kiosk-ist-2.toml" in err and said in err
    settings = load_settings(config)[0]
    assert settings.idle_seconds == 200 and settings.db_path == str(
        tmp_path / "kiosk-data" / "kiosk.db"
    )
    result = check_updates(settings)
    assert result is not None and not result.ok and said in result.detail


def test_a_tampered_file_is_refused(tmp_path: Path, repo: Repo, content_dir: Path) -> None:
    from kiosk.config import load_settings

    repo.publish(content_dir)
    published = _publish_config(repo, "config/kiosk-ist-2.toml", "idle_seconds = 300\n")
    config = _managed_kiosk(tmp_path, repo)
    stick = repo.stick(tmp_path / "stick")
    (stick / "targets" / "config" / f"{published.sha256}.kiosk-ist-2.toml").write_text(
        "idle_seconds = 900\n", "utf-8"
    )  # the same length
    assert _update(config, stick) == 1
    assert load_settings(config)[0].idle_seconds == 90


def test_publish_config_checks_the_file_and_remove_takes_it_out(
    tmp_path: Path, repo: Repo, content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """IT's command: a file with a key it may not set is not published; a file taken out
    leaves its kiosks on their own kiosk.toml at their next check."""
    from kiosk.config import apply_managed, load_settings, managed_record_path

    where = ["--repo", str(repo.folder), "--keys", str(repo.keys), "--passphrase-stdin"]
    bad = tmp_path / "bad.toml"
    bad.write_text('idle_seconds = 120\nkeys_file = "/tmp/k.json"\n', "utf-8")
    version = repo.folder / "metadata" / "timestamp.json"
    before = version.read_bytes()
    with _stdin(TARGETS + "\n"):
        assert main(["content", "publish-config", str(bad), "--site", "istanbul", *where]) == 1
    assert "not published" in capsys.readouterr().err and version.read_bytes() == before
    unfinished = tmp_path / "unfinished.toml"
    unfinished.write_text('data_controller_name = "[...]"\n', "utf-8")
    with _stdin(TARGETS + "\n"):
        assert main(["content", "publish-config", str(unfinished), "--kiosk", "k1", *where]) == 1
    assert "key 'data_controller_name' is still a placeholder" in capsys.readouterr().err
    good = tmp_path / "istanbul.toml"
    good.write_text("\ufeffidle_seconds = 120\n", "utf-8")  # (Notepad's byte-order mark)
    with _stdin(TARGETS + "\n"):
        assert main(["content", "publish-config", str(good), "--site", "istanbul", *where]) == 0
    assert "published" in capsys.readouterr().out
    repo.publish(content_dir)
    config = _managed_kiosk(tmp_path, repo)
    assert _update(config, repo.stick(tmp_path / "s1")) == 0
    local = load_settings(config, managed=False)[0]
    assert apply_managed(local)[0].idle_seconds == 120

    with _stdin(TARGETS + "\n"):
        assert main(["content", "publish-config", "--remove", "--site", "istanbul", *where]) == 0
    with _stdin(TARGETS + "\n"):
        assert main(["content", "publish-config", "--remove", "--site", "istanbul", *where]) == 1
    assert "has no config/site-istanbul.toml" in capsys.readouterr().err
    assert _update(config, repo.stick(tmp_path / "s2")) == 0
    assert not managed_record_path(local).exists()
    assert apply_managed(local)[0].idle_seconds == 90


def test_a_kept_file_that_no_longer_fits_leaves_the_kiosk_on_its_own(
    tmp_path: Path, repo: Repo, content_dir: Path
) -> None:
    """IT changed kiosk.toml after the kiosk took a file, and the two no longer fit: the
    kiosk starts on its own file alone (never a crash loop) and says why."""
    from kiosk.config import apply_managed, load_settings, load_settings_leniently
    from kiosk.doctor import check_managed

    repo.publish(content_dir)
    _publish_config(repo, "config/kiosk-ist-2.toml", 'default_language = "tr"\n')
    config = _managed_kiosk(tmp_path, repo)
    assert _update(config, repo.stick(tmp_path / "stick")) == 0
    assert load_settings(config)[0].default_language == "tr"
    config.write_text(config.read_text("utf-8").replace("idle_seconds = 90", 'languages = ["en"]'))
    local = load_settings(config, managed=False)[0]
    settings, managed = apply_managed(local)
    assert settings == local and settings.default_language == "en"
    assert managed.problem is not None and "is not one of languages" in managed.problem
    assert not check_managed(managed).ok
    lenient, _path, problems = load_settings_leniently(config)
    assert lenient == local and problems == [managed.problem]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the real kiosk offscreen")
def test_the_running_kiosk_takes_new_configuration_and_starts_again_on_it(
    tmp_path: Path, repo: Repo, https_repo: tuple[str, Path], content_dir: Path
) -> None:
    """`kiosk run` with [updates] from an HTTPS repository: its first check takes the file
    for this kiosk, and the kiosk, at rest on Home, starts again in the same process (the
    same to systemd and cage: no restart delay) on the file's keys."""
    import os
    import subprocess
    import time

    url, ca_file = https_repo
    repo.publish(content_dir)
    _publish_config(repo, "config/kiosk-lobby-1.toml", "idle_seconds = 240\n")
    logs = tmp_path / "logs"
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'kiosk_id = "lobby-1"\nfullscreen = false\nlog_dir = "{logs.as_posix()}"\n'
        f'db_path = "{(tmp_path / "data" / "kiosk.db").as_posix()}"\n'
        f'[updates]\nurl = "{url}"\nca_file = "{ca_file.as_posix()}"\n'
        f'root = "{repo.root_file.as_posix()}"\n',
        "utf-8",
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
    )
    env.pop("KIOSK_CONFIG", None)

    def log() -> str:
        return "".join(p.read_text("utf-8") for p in sorted(logs.glob("*.log*")))

    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 120
        while "config_managed keys=idle_seconds" not in log():
            assert kiosk.poll() is None, errors.read_text()[-2000:]
            assert time.monotonic() < deadline, log()
            time.sleep(0.2)
        assert kiosk.poll() is None  # the same process, running on
    finally:
        kiosk.terminate()
        kiosk.wait(timeout=30)
    text = log()
    assert text.count("kiosk_start version=") == 2
    for line in (
        "managed_config_taken files=config/kiosk-lobby-1.toml",
        "kiosk_restart reason=managed_config",
        "kiosk_start_again",
    ):
        assert line in text
    # Started again on the same record: no second restart.
    assert text.count("kiosk_restart reason=managed_config") == 1


def test_content_and_settings_are_taken_or_refused_each_on_their_own(
    tmp_path: Path, repo: Repo, content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken bundle does not hold back a sound settings file, nor the other way round;
    the check says what it took and what it refused."""
    from kiosk.config import load_settings

    config = _managed_kiosk(tmp_path, repo)
    (content_dir / "sources.json").write_text("{ damaged", "utf-8")
    repo.publish(content_dir)
    _publish_config(repo, "config/kiosk-ist-2.toml", "idle_seconds = 300\n")
    assert _update(config, repo.stick(tmp_path / "s1")) == 1
    out, err = capsys.readouterr()
    assert "configuration changed (idle_seconds)" in out
    assert "not updated (invalid):" in err and "sources.json" in err
    assert "new settings taken" in err
    assert load_settings(config)[0].idle_seconds == 300

    shutil.copy(paths.bundled_content_dir() / "sources.json", content_dir / "sources.json")
    repo.publish(_content_version(content_dir, "2026.12-fixed"))
    _publish_config(repo, "config/kiosk-ist-2.toml", "idle_seconds = 3\n")
    assert _update(config, repo.stick(tmp_path / "s2")) == 1
    out, err = capsys.readouterr()
    assert "configuration changed" not in out
    assert "partly updated (invalid): switched to 2026.12-fixed-" in err
    assert "configuration not taken: config/kiosk-ist-2.toml: key 'idle_seconds'" in err
    settings = load_settings(config)[0]
    assert settings.idle_seconds == 300 and settings.content_path().name.startswith("2026.12-f")
