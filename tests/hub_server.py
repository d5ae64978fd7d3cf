"""A real Hugging Face Hub-compatible HTTP server on loopback, for tests.

`olah` (a self-hosted Hub mirror, on PyPI) serves git repositories laid out as
`<mirrors-path>/models/<org>/<name>/` over the Hub's HTTP API (`/api/models/...`,
`/<org>/<name>/resolve/<revision>/<file>`); with `offline = true` it never
contacts huggingface.co. `huggingface_hub.snapshot_download` talks to it exactly
as it talks to the real Hub, so `from_preset("hf://org/name")` is exercised end
to end over HTTP (not a mock).

olah is a read-only mirror: it has no `create_repo`, commit or preupload API, so
tests publish a repository by committing to its git folder (`LocalHub.publish`).

Usage (fixtures in conftest.py):

    @pytest.mark.hub
    def test_x(local_hub, hub_env):
        sha = local_hub.publish(folder, "org/name")
        hub_env.use(local_hub.url)          # HF_ENDPOINT + fresh HF_HOME
        SignatureExtractor.from_preset("hf://org/name")
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT_S = 30.0
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "signver-tests",
    "GIT_AUTHOR_EMAIL": "tests@signver.invalid",
    "GIT_COMMITTER_NAME": "signver-tests",
    "GIT_COMMITTER_EMAIL": "tests@signver.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **_GIT_ENV},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


class LocalHub:
    """A running olah server plus the git folders it serves."""

    def __init__(self, root: Path, url: str, process: subprocess.Popen):
        self.root = root
        self.mirrors = root / "mirrors"
        self.url = url
        self.process = process

    def repo_path(self, repo_id: str) -> Path:
        org, name = repo_id.split("/")
        return self.mirrors / "models" / org / name

    def publish(
        self, folder: str | os.PathLike, repo_id: str, message: str = "Upload preset"
    ) -> str:
        """Commits the content of `folder` as the new tip of `main` of `repo_id`.

        The repository is created on first use; later calls replace its files
        with a new commit, so older commits stay addressable by hash or tag.
        Returns the commit hash.
        """
        repo = self.repo_path(repo_id)
        if not (repo / ".git").exists():
            repo.mkdir(parents=True, exist_ok=True)
            _git(repo, "init", "--quiet", "--initial-branch=main")
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(folder, repo, dirs_exist_ok=True)
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
        return _git(repo, "rev-parse", "HEAD")

    def tag(self, repo_id: str, tag: str, revision: str = "HEAD") -> None:
        """Tags a commit (default: the tip of `main`) so `hf://org/name@tag` pins it."""
        _git(self.repo_path(repo_id), "tag", tag, revision)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except OSError:
        return False


def start_local_hub(root: Path) -> LocalHub:
    """Starts olah on a free loopback port; raises RuntimeError if it cannot."""
    try:
        import olah  # noqa: F401
    except ImportError as error:
        raise RuntimeError(f"olah is not installed ({error}); `pip install olah`") from error
    if shutil.which("git") is None:
        raise RuntimeError("olah serves git repositories and needs the `git` executable")
    (root / "mirrors" / "models").mkdir(parents=True, exist_ok=True)
    last_error = "no attempt"
    for _ in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        config = root / "olah.toml"
        config.write_text(
            "[basic]\n"
            'host = "127.0.0.1"\n'
            f"port = {port}\n"
            f'repos-path = "{root / "cache"}"\n'
            f'mirrors-path = ["{root / "mirrors"}"]\n'
            'mirror-scheme = "http"\n'
            f'mirror-netloc = "127.0.0.1:{port}"\n'
            f'mirror-lfs-netloc = "127.0.0.1:{port}"\n'
            "metadata-cache-ttl = 0\n"
            "\n[accessibility]\n"
            "offline = true\n"
        )
        log = open(root / f"olah-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "olah.server", "--config", str(config)]
            + ["--log-path", str(root / "logs")],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(url + "/api/models/none/none"):
                return LocalHub(root, url, process)
            time.sleep(0.2)
        if process.poll() is None:
            process.kill()
        process.wait()
        tail = (root / f"olah-{port}.log").read_text(errors="replace")[-2000:]
        last_error = f"olah did not answer on {url} within {START_TIMEOUT_S:.0f} s:\n{tail}"
    raise RuntimeError(last_error)


def local_hub_fixture() -> Iterator[LocalHub]:
    """Body of the session fixture: skips the requesting test if olah cannot start."""
    root = Path(tempfile.mkdtemp(prefix="signver-hub-"))
    try:
        hub = start_local_hub(root)
    except (RuntimeError, OSError) as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"local Hugging Face Hub server (olah) unavailable: {error}")
    try:
        yield hub
    finally:
        hub.stop()
        shutil.rmtree(root, ignore_errors=True)


class HubEnv:
    """Points huggingface_hub at an endpoint and a fresh cache for one test.

    huggingface_hub reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE
    into `huggingface_hub.constants` at import time, and its module-level
    functions (`create_repo`, `upload_folder`, ...) are methods of one `HfApi`
    created at import with `endpoint=constants.ENDPOINT`. Setting the variables
    is therefore not enough: `use` also reloads `constants` (the same module
    object, so every `constants.X` lookup sees the new values) and retargets the
    shared `HfApi`. Everything is undone after the test.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path
        self._homes = 0

    def use(self, endpoint: str, offline: bool = False, fresh_home: bool = True) -> Path:
        """Sets HF_ENDPOINT (and HF_HUB_OFFLINE); with `fresh_home` a new empty HF_HOME.

        Returns the HF_HOME folder.
        """
        mp = self.monkeypatch
        if fresh_home or "HF_HOME" not in os.environ:
            self._homes += 1
            home = self.tmp_path / f"hf_home_{self._homes}"
            home.mkdir()
            mp.setenv("HF_HOME", str(home))
        for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HF_HUB_ETAG_TIMEOUT"):
            mp.delenv(name, raising=False)
        mp.setenv("HF_ENDPOINT", endpoint)
        mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        mp.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        mp.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
        mp.delenv("TRANSFORMERS_OFFLINE", raising=False)
        _reload_constants()
        import huggingface_hub.hf_api

        mp.setattr(huggingface_hub.hf_api.api, "endpoint", endpoint)
        return Path(os.environ["HF_HOME"])


def _reload_constants() -> None:
    import huggingface_hub.constants

    importlib.reload(huggingface_hub.constants)


def hub_env_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubEnv]:
    yield HubEnv(monkeypatch, tmp_path)
    monkeypatch.undo()  # restore the environment first, then re-read it
    _reload_constants()
