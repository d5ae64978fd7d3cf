"""`signver-keras ui`: start the Gradio app (needs `pip install 'signver-keras[ui]'`)."""

from __future__ import annotations

import argparse
import importlib.util
import sys


def cmd_ui(args: argparse.Namespace) -> None:
    # find_spec, not import: Gradio reads GRADIO_TEMP_DIR at import, which `launch` sets first.
    if importlib.util.find_spec("gradio") is None:
        print(
            "signver-keras ui: error: the UI needs Gradio: pip install 'signver-keras[ui]'.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    from signver_keras.ui import launch

    launch(
        preset=args.preset,
        gallery=args.gallery,
        host=args.host,
        port=args.port,
        max_upload_mb=args.max_upload_mb,
    )


def add_ui_parser(commands) -> None:
    ui = commands.add_parser("ui", help="start the web app (Documents, Verify, Gallery, Evaluate)")
    ui.add_argument("--preset", default="signver_base", help="pipeline preset")
    ui.add_argument("--gallery", help="gallery file or postgresql:// URL (enables enrollment)")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    ui.add_argument("--port", type=int, default=7860)
    ui.add_argument("--max-upload-mb", type=float, default=20, help="largest upload accepted")
    ui.set_defaults(run=cmd_ui)
