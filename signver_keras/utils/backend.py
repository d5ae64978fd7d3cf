"""Getting the Keras backend ready the first time a model class is used.

`signver_keras` imports no backend of its own (`import signver_keras` is fast);
`prepare_backend` runs once, when a model class is first looked up, and:

- with JAX, keeps compiled XLA programs in a persistent cache under the user
  cache folder (`cache_dir()`), so a second process loads a preset and runs the
  same input shapes without compiling again (a cold `verify` drops from ~20 s to
  a few seconds);
- imports KerasHub. It imports TensorFlow whenever it is installed (seconds
  at every start), which a library cannot refuse: KerasHub needs it to batch a
  task's preprocessed inputs in `fit` under JAX. The `signver-keras` console
  script, which never fits, keeps it out of its own process (`cli.main.run`).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Set to a folder to move the compilation cache, or to "" to turn it off.
CACHE_ENV = "SIGNVER_KERAS_CACHE"
#: The Keras backend signver-keras uses when the user chose none.
DEFAULT_BACKEND = "jax"

_prepared = False
_user_chose_backend = False


def choose_default_backend() -> None:
    """Sets KERAS_BACKEND to `DEFAULT_BACKEND` unless the user set it (at package import)."""
    global _user_chose_backend
    _user_chose_backend = "KERAS_BACKEND" in os.environ
    os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)


def user_chose_backend() -> bool:
    """Whether KERAS_BACKEND was set before `signver_keras` was imported."""
    return _user_chose_backend


def cache_root() -> Path | None:
    """The signver-keras cache folder of compiled programs; None when turned off.

    `$SIGNVER_KERAS_CACHE` when that variable is set (empty: no cache), else
    `$XDG_CACHE_HOME/signver_keras` (default `~/.cache/signver_keras`).
    """
    root = os.environ.get(CACHE_ENV)
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        root = os.path.join(xdg, "signver_keras")
    return Path(root) if root else None


def cache_dir() -> Path | None:
    """Folder of the persistent JAX compilation cache (`cache_root()/jax`); None when off."""
    root = cache_root()
    return root / "jax" if root else None


def _enable_jax_compilation_cache() -> None:
    import jax

    folder = cache_dir()
    # A cache the user configured (JAX_COMPILATION_CACHE_DIR or jax.config) is theirs to keep.
    if folder is None or jax.config.jax_compilation_cache_dir:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Our programs compile in well under JAX's default 1 s threshold, yet together
    # take most of a cold start: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


def _import_tensorflow_quietly() -> None:
    """Imports TensorFlow with stderr muted: it prints C++ start-up lines (oneDNN, CUDA
    probing) on every import, before any log level applies."""
    import sys

    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs here
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def prepare_backend() -> None:
    """Configures the Keras backend for signver-keras models (once per process)."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if os.environ.get("KERAS_BACKEND") == "tensorflow":
        _import_tensorflow_quietly()
    import keras

    if keras.backend.backend() == "jax":
        _enable_jax_compilation_cache()
    import keras_hub  # noqa: F401
