"""Hugging Face Hub transport: download a preset snapshot, upload a preset with its card.

Downloads go through `huggingface_hub.snapshot_download`, so `HF_ENDPOINT`,
`HF_HOME`, `HF_TOKEN` and `HF_HUB_OFFLINE` behave as everywhere else in the
Hugging Face ecosystem, and `hf://org/name@revision` pins a branch, tag or commit.
"""

from __future__ import annotations

import os

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


def _one_line(error: BaseException) -> str:
    """An error's first message line, without its closing period (it is quoted mid-sentence)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = lines[0].removeprefix("Got: ") if lines else type(error).__name__
    return first.rstrip(".")


def _unavailable_message(handle: str, error: BaseException) -> str:
    """One line: what failed, why, and the advice that fits the current offline setting."""
    repo_id = parse_hf_handle(handle)[0]
    download = (
        f"download it once where the Hub is reachable (`hf download {repo_id} --local-dir DIR`) "
        "and pass DIR to `from_preset`"
    )
    if constants.HF_HUB_OFFLINE:
        return (
            f"'{handle}' is not in the local Hugging Face cache ({constants.HF_HUB_CACHE}) and "
            f"HF_HUB_OFFLINE is set, so it cannot be downloaded: {download}, or unset "
            "HF_HUB_OFFLINE to download it from the Hub."
        )
    return (
        f"Could not download '{handle}' from {constants.ENDPOINT} ({_one_line(error)}). To work "
        f"offline, {download}, or set HF_HUB_OFFLINE=1 to load it from the local cache."
    )


def load_handle(preset: str | os.PathLike, family: str) -> str:
    """Resolves a preset argument to a local folder (Hub presets downloaded) or a handle
    KerasHub can load (`kaggle://...`)."""
    from signver_keras import presets

    handle = presets.resolve(preset, family)
    if handle.startswith(HF_PREFIX):
        return download_preset(handle)
    return handle


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
        raise HubUnavailableError(_unavailable_message(handle, error)) from error


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
            f"Could not upload to '{repo_id}' on {constants.ENDPOINT} ({_one_line(error)})."
        ) from error
    return str(repo)
