"""Hugging Face Hub transport: download a preset snapshot, upload a preset with its card.

Downloads go through `huggingface_hub.snapshot_download`, so `HF_ENDPOINT`,
`HF_HOME`, `HF_TOKEN` and `HF_HUB_OFFLINE` behave as everywhere else in the
Hugging Face ecosystem, and `hf://org/name@revision` pins a branch, tag or commit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import huggingface_hub
from huggingface_hub import constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from signver_keras.errors import HubUnavailableError, PresetNotFoundError

HF_PREFIX = "hf://"
MODEL_CARD_FILE = "README.md"


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Network failures as raised by huggingface_hub's HTTP client.

    Depending on its version huggingface_hub uses `requests` (errors derive from
    OSError), `httpx` or `httpx2`, whose connection errors and timeouts are
    *not* OSError.
    """
    errors: list[type[BaseException]] = [OSError]
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        errors.append(module.TransportError)
    return tuple(errors)


_TRANSPORT_ERRORS = _transport_errors()


def parse_hf_handle(handle: str) -> tuple[str, str | None]:
    """Splits 'hf://org/name@revision' into ('org/name', 'revision' or None)."""
    repo = handle.removeprefix(HF_PREFIX)
    repo_id, _, revision = repo.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PresetNotFoundError(
            f"Hugging Face handles look like 'hf://org/name' or 'hf://org/name@revision'; "
            f"received '{handle}'."
        )
    return repo_id, revision or None


def _offline_advice(handle: str) -> str:
    return (
        f"To work offline, download it once where the Hub is reachable "
        f"(`hf download {parse_hf_handle(handle)[0]} --local-dir DIR`) and pass DIR "
        "to `from_preset`, or set HF_HUB_OFFLINE=1 to load it from the local cache."
    )


def download_preset(handle: str) -> str:
    """Downloads (or finds in the cache) a preset repository; returns its local folder."""
    repo_id, revision = parse_hf_handle(handle)
    try:
        return huggingface_hub.snapshot_download(repo_id=repo_id, revision=revision)
    except RepositoryNotFoundError as error:
        # Some Hub-compatible servers (e.g. olah mirrors) also answer an unknown
        # revision of an existing repository this way, so name the revision too.
        at = f" at revision '{revision}'" if revision else ""
        raise PresetNotFoundError(
            f"No model repository '{repo_id}'{at} on {constants.ENDPOINT} (or it is private: "
            "log in with `hf auth login` or set HF_TOKEN)."
        ) from error
    except RevisionNotFoundError as error:
        raise PresetNotFoundError(
            f"Repository '{repo_id}' has no revision '{revision}' on {constants.ENDPOINT}."
        ) from error
    except HFValidationError as error:
        raise PresetNotFoundError(f"Invalid Hugging Face handle '{handle}': {error}") from error
    except (LocalEntryNotFoundError, EntryNotFoundError, *_TRANSPORT_ERRORS) as error:
        # snapshot_download reports an unreachable endpoint as a missing cache entry.
        raise HubUnavailableError(
            f"Could not download '{handle}' from {constants.ENDPOINT}: {error}. "
            + _offline_advice(handle)
        ) from error


def upload_folder(folder: str | os.PathLike, repo_id: str, private: bool = False) -> str:
    """Uploads a saved preset folder (with its README.md card) to a Hub model repo.

    Returns the URL of the repository.
    """
    try:
        repo = huggingface_hub.create_repo(repo_id=repo_id, private=private, exist_ok=True)
        huggingface_hub.upload_folder(
            repo_id=repo.repo_id,
            folder_path=os.fspath(folder),
            commit_message="Upload signver-keras preset",
        )
    except HFValidationError as error:
        raise ValueError(f"Invalid Hugging Face repository id '{repo_id}': {error}") from error
    except _TRANSPORT_ERRORS as error:
        raise HubUnavailableError(
            f"Could not upload to '{repo_id}' on {constants.ENDPOINT}: {error}"
        ) from error
    return str(repo)


def atomic_save(preset_dir: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Writes a preset folder completely in a sibling temp folder, then swaps it in.

    A crash or a bad model mid-save leaves any earlier preset at `preset_dir` intact.
    """
    target = Path(preset_dir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        write(staging)
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            target.rename(backup)
            staging.rename(target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
