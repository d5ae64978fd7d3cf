"""`signver-keras ui`: a Gradio app over the Python API (Documents, Verify, Gallery, Evaluate).

Needs the `ui` extra: `pip install 'signver-keras[ui]'`. A Hugging Face Space
needs only this `app.py`:

```python
from signver_keras.ui import launch
launch()
```
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path


def _remove_at_exit(folder: Path) -> None:
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    # SIGTERM (what process managers send) ends the process through atexit too.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def create_app(
    preset: str = "signver_base",
    gallery: str | None = None,
    workdir: str | os.PathLike | None = None,
):
    """Loads the models once and builds the app; returns `(app, context)`.

    Args:
        preset: str. Pipeline preset (bundled name, folder or `hf://`).
        gallery: str or None. Gallery file or PostgreSQL URL; created at the
            first enrollment.
        workdir: folder for uploads and rendered pages; a new temporary folder
            (removed at exit) when None.
    """
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="signver-ui-"))
        _remove_at_exit(workdir)
    workdir = Path(workdir)
    # Gradio stores uploads under GRADIO_TEMP_DIR: keep them in our folder.
    os.environ["GRADIO_TEMP_DIR"] = str(workdir / "uploads")

    import signver_keras as sv
    from signver_keras.ui.app import build_app
    from signver_keras.ui.handlers import AppContext

    verifier = sv.SignatureVerifier.from_preset(preset)
    context = AppContext(verifier=verifier, workdir=workdir, gallery_path=gallery, preset=preset)
    return build_app(context), context


def launch(
    preset: str = "signver_base",
    gallery: str | None = None,
    host: str | None = None,
    port: int | None = None,
    max_upload_mb: float = 20,
    **launch_kwargs,
):
    """Starts the app and blocks. Binds 127.0.0.1 unless `host` (or GRADIO_SERVER_NAME) says
    otherwise; uploads above `max_upload_mb` are refused."""
    app, context = create_app(preset, gallery)
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port or int(os.environ.get("GRADIO_SERVER_PORT", 7860))
    # One event at a time: the models share the CPU and the gallery one connection.
    app.queue(default_concurrency_limit=1)
    try:
        return app.launch(
            server_name=host,
            server_port=port,
            max_file_size=int(max_upload_mb * 1024 * 1024),
            footer_links=[],
            **launch_kwargs,
        )
    finally:
        context.close()
