"""`signver-keras`: the command line over the Python API.

Every command prints a human table, or JSON with `--json`; a bad input ends
the command with a one-line error and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from signver_keras.cli.output import emit, progress, table
from signver_keras.families import EVALUATE_TASKS, FAMILIES

EXIT_BAD_INPUT = 2
JSON_HELP = "print JSON instead of tables"


def cmd_presets(args: argparse.Namespace) -> None:
    import signver_keras as sv

    rows = sv.list_presets(args.family)
    emit(
        args,
        rows,
        lambda: (
            table(rows, ["name", "family", "parameter_count", "size_mb"])
            if rows
            else "No bundled presets in this install."
        ),
    )


def cmd_detect(args: argparse.Namespace) -> None:
    from signver_keras.images import check_image_file
    from signver_keras.runtime.numpy_tasks import load_stage
    from signver_keras.visualize import draw_detections

    for page in args.pages:
        check_image_file(page)
    detector = load_stage("detector", args.preset)
    results = []
    for page in progress(args.pages, "detect"):
        found = detector.detect(page, score_threshold=args.threshold)[0]
        if args.overlay:
            target = Path(args.overlay)
            if len(args.pages) > 1:
                target = target.with_name(f"{Path(page).stem}_{target.name}")
            draw_detections(page, found, target)
        results.append(
            {
                "page": page,
                "detections": [
                    {
                        "box": [round(float(v), 1) for v in box],
                        "score": round(float(score), 4),
                        "class": name,
                    }
                    for box, score, name in zip(
                        found["boxes"], found["scores"], found["names"], strict=True
                    )
                ],
            }
        )

    def human() -> str:
        rows = [
            {"page": r["page"], "class": d["class"], "score": d["score"], "box": d["box"]}
            for r in results
            for d in r["detections"]
        ]
        return table(rows, ["page", "class", "score", "box"]) if rows else "No detections."

    emit(args, results, human)


def cmd_clean(args: argparse.Namespace) -> None:
    import numpy as np
    from PIL import Image

    from signver_keras.images import load_signature
    from signver_keras.runtime.numpy_tasks import load_stage
    from signver_keras.utils.atomic import atomic_path

    crops = [load_signature(crop) for crop in args.crops]  # bad inputs fail before the model loads
    cleaner = load_stage("cleaner", args.preset)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, crop in zip(progress(args.crops, "clean"), crops, strict=True):
        cleaned = cleaner.clean(crop)[0]
        target = out / f"{Path(path).stem}.png"
        with atomic_path(target) as partial:
            Image.fromarray(np.asarray(cleaned)).save(partial)
        written.append({"input": path, "output": str(target)})
    emit(args, written, lambda: table(written, ["input", "output"]))


def cmd_embed(args: argparse.Namespace) -> None:
    import numpy as np

    from signver_keras.images import load_signature
    from signver_keras.runtime.numpy_tasks import load_stage
    from signver_keras.utils.atomic import atomic_path

    images = [load_signature(path) for path in args.images]  # fail before the model loads
    extractor = load_stage("extractor", args.preset)
    embeddings = np.concatenate([extractor.embed(image) for image in progress(images, "embed")])
    with atomic_path(args.out) as partial, open(partial, "wb") as file:
        np.save(file, embeddings)
    payload = {
        "out": args.out,
        "shape": list(embeddings.shape),
        "extractor": extractor.fingerprint(),
    }
    emit(
        args,
        payload,
        lambda: (
            f"Wrote {embeddings.shape} embeddings to {args.out} (extractor {payload['extractor']})."
        ),
    )


def cmd_verify(args: argparse.Namespace) -> None:
    import signver_keras as sv
    from signver_keras.images import load_signature

    # Every image is read and checked before the models load (seconds), so a typo fails fast.
    query = load_signature(args.query)
    references = [load_signature(path) for path in args.refs]
    overrides = {"cleaner": None} if args.no_clean else {}
    verifier = sv.SignatureVerifier.from_preset(
        args.preset, cached_graphs=True, detector=None, **overrides
    )
    result = verifier.verify(query, references)
    payload = {
        "query": args.query,
        "references": args.refs,
        "accepted": result.accepted,
        "score": round(result.score, 4),
        "threshold": round(result.threshold, 4),
        # The number of references the threshold was calibrated for (None: set by hand).
        "calibrated_reference_count": result.calibrated_reference_count,
    }
    verdict = "ACCEPTED (same writer)" if result.accepted else "REJECTED (possible forgery)"
    made_for = (
        "a fixed threshold"
        if result.calibrated_reference_count is None
        else f"threshold calibrated for {result.calibrated_reference_count} reference(s)"
    )
    emit(
        args,
        payload,
        lambda: (
            f"{verdict}: score {result.score:.3f}, threshold {result.threshold:.3f} "
            f"({made_for}), {len(args.refs)} reference(s)"
        ),
    )


def cmd_demo(args: argparse.Namespace) -> None:
    import signver_keras as sv
    from signver_keras import samples
    from signver_keras.visualize import draw_detections

    verifier = sv.SignatureVerifier.from_preset(args.preset, cached_graphs=True)
    if verifier.matcher is None or verifier.detector is None:
        raise ValueError(
            f"The demo needs a pipeline preset with a detector and a calibrated extractor; "
            f"'{args.preset}' lacks one."
        )
    page = verifier.detector.detect(samples.DOCUMENT)[0]
    draw_detections(samples.DOCUMENT, page, args.out)
    found = verifier.find_signatures(samples.DOCUMENT)
    # The references are embedded once and every query is decided against them, as
    # `verifier.verify` would decide each (found.embeddings: the page's crops).
    references = verifier.embed(samples.REFERENCES)
    queries = [samples.QUERY_GENUINE, samples.QUERY_OTHER_WRITER, samples.QUERY_FORGERY]
    embedded = verifier.embed(queries)
    names = ("genuine", "other writer", "skilled forgery")
    verdicts = {
        name: verifier.matcher.verify(embedded[i : i + 1], references)
        for i, name in enumerate(names)
    }
    signed = [
        verifier.matcher.verify(found.embeddings[i : i + 1], references) for i in range(len(found))
    ]
    payload = {
        "document": str(samples.DOCUMENT),
        "overlay": str(args.out),
        "detections": [
            {"class": n, "score": round(float(s), 3), "box": [round(float(v)) for v in b]}
            for b, s, n in zip(page["boxes"], page["scores"], page["names"], strict=True)
        ],
        "verify": {
            k: {
                "accepted": v.accepted,
                "score": round(v.score, 4),
                "threshold": round(v.threshold, 4),
            }
            for k, v in verdicts.items()
        },
        "signatures_on_page_matching_references": [
            {
                "class": name,
                "box": [round(float(v)) for v in box],
                "accepted": r.accepted,
                "score": round(r.score, 4),
            }
            for name, box, r in zip(found.names, found.boxes, signed, strict=True)
        ],
    }

    def human() -> str:
        lines = [
            f"Detections on {samples.DOCUMENT.name} (overlay: {args.out}):",
            table(payload["detections"], ["class", "score", "box"]),
            "",
        ]
        for name, v in verdicts.items():
            word = "ACCEPTED" if v.accepted else "REJECTED"
            lines.append(
                f"verify {name + ':':16s} {word} vs 3 references (score {v.score:.3f}, "
                f"threshold {v.threshold:.3f})"
            )
        for row in payload["signatures_on_page_matching_references"]:
            word = "matches" if row["accepted"] else "does not match"
            lines.append(
                f"{row['class']} on the page at {row['box']} {word} the references "
                f"(score {row['score']:.3f})"
            )
        return "\n".join(lines)

    emit(args, payload, human)


def cmd_evaluate(args: argparse.Namespace) -> None:
    from signver_keras.evaluation.runner import evaluate

    report = evaluate(
        args.task,
        args.preset,
        args.data,
        out_dir=args.out,
        reference_count=args.reference_count,
        seed=args.seed,
        subset=args.subset,
    )
    emit(args, report, lambda: report["table"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signver-keras", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    presets = commands.add_parser("presets", help="list bundled presets")
    presets.add_argument("--family", choices=list(FAMILIES))
    presets.set_defaults(run=cmd_presets)

    detect = commands.add_parser("detect", help="find signatures, initials, redactions, dates")
    detect.add_argument("pages", nargs="+")
    detect.add_argument("--preset", default=FAMILIES["detector"].default_preset)
    detect.add_argument("--threshold", type=float, help="score threshold (default: preset's)")
    detect.add_argument("--overlay", help="write a PNG with boxes drawn (per page if several)")
    detect.set_defaults(run=cmd_detect)

    clean = commands.add_parser("clean", help="remove lines, text and noise from crops")
    clean.add_argument("crops", nargs="+")
    clean.add_argument("--out", required=True, help="folder for the cleaned PNGs")
    clean.add_argument("--preset", default=FAMILIES["cleaner"].default_preset)
    clean.set_defaults(run=cmd_clean)

    embed = commands.add_parser("embed", help="write signature embeddings to a .npy file")
    embed.add_argument("images", nargs="+")
    embed.add_argument("--out", required=True)
    embed.add_argument("--preset", default=FAMILIES["extractor"].default_preset)
    embed.set_defaults(run=cmd_embed)

    verify = commands.add_parser("verify", help="was QUERY written by the writer of the refs?")
    verify.add_argument("query")
    verify.add_argument("--refs", nargs="+", required=True)
    verify.add_argument("--preset", default="signver_base", help="pipeline preset")
    verify.add_argument("--no-clean", action="store_true", help="skip the cleaner")
    verify.set_defaults(run=cmd_verify)

    demo = commands.add_parser("demo", help="run the pipeline on the bundled sample page")
    demo.add_argument("--out", default="demo_overlay.png", help="overlay PNG to write")
    demo.add_argument("--preset", default="signver_base", help="pipeline preset")
    demo.set_defaults(run=cmd_demo)

    evaluate = commands.add_parser("evaluate", help="measure a preset on a dataset")
    evaluate.add_argument("task", choices=list(EVALUATE_TASKS))
    evaluate.add_argument("--preset", required=True)
    evaluate.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="LAYOUT:PATH",
        help="a dataset; repeat for several. Detection: @SCALE at the end resamples its pages "
        "(synthetic-300dpi:40@0.5: the 300-dpi pages as 150-dpi scans)",
    )
    evaluate.add_argument("--out", help="folder for JSON and plots")
    evaluate.add_argument(
        "--reference-count", type=int, default=5, help="enrolled references per writer"
    )
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument(
        "--subset",
        choices=["train", "calibration", "test"],
        help="only these writers of the preset's recorded writer split",
    )
    evaluate.set_defaults(run=cmd_evaluate)

    from signver_keras.cli.synth import add_synth_parser

    add_synth_parser(commands)

    from signver_keras.cli.gallery import add_gallery_commands

    add_gallery_commands(commands)

    from signver_keras.cli.batch import add_batch_parser

    add_batch_parser(commands)

    from signver_keras.cli.ui import add_ui_parser

    add_ui_parser(commands)
    _accept_json_after_commands(parser)
    return parser


def _accept_json_after_commands(parser: argparse.ArgumentParser) -> None:
    """Lets `--json` follow any (sub)command too, as in `signver-keras presets --json`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in set(action.choices.values()):
                # SUPPRESS: when absent here, the value given before the command stays.
                subparser.add_argument(
                    "--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP
                )
                _accept_json_after_commands(subparser)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from signver_keras.errors import SignverError

    # TensorFlow's C++ logging reads this once, when (and if) a command imports it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    try:
        args.run(args)
    except (SignverError, FileNotFoundError, ValueError) as error:
        print(f"signver-keras {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


#: Commands whose models run as NumPy stages (`signver_keras.runtime`).
NUMPY_STAGE_COMMANDS = ("detect", "clean", "embed", "verify", "demo", "gallery")


def run() -> None:
    """The `signver-keras` console script: `main` in a process of its own.

    Under JAX or torch no command needs TensorFlow, yet KerasHub imports it whenever
    it is installed, about 3 CPU seconds per command; the script's process keeps it
    out. When the user chose no backend, the commands of `NUMPY_STAGE_COMMANDS` get
    Keras's NumPy backend (see below). (`main` leaves the interpreter alone: a notebook
    or a test that calls it may need TensorFlow or its backend afterwards, e.g. for
    KerasHub's `fit`.)
    """
    from signver_keras.utils.backend import cache_root, user_chose_backend

    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command in NUMPY_STAGE_COMMANDS and not user_chose_backend() and cache_root():
        # These commands run NumPy stages and need Keras only to record one on a first
        # run: its NumPy backend builds a model without compiling anything, where JAX
        # compiles every weight initializer first (a first `verify` ~6 s instead of ~23 s).
        os.environ["KERAS_BACKEND"] = "numpy"
    if os.environ.get("KERAS_BACKEND", "jax") != "tensorflow":
        sys.modules.setdefault("tensorflow", None)
    sys.exit(main())


if __name__ == "__main__":
    run()
