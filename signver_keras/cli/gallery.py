"""`signver-keras gallery ...` and `signver-keras identify`: the enrollment gallery on the
command line (see `signver_keras.gallery.SignatureGallery`)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

from signver_keras.cli.output import emit, table


def _load_verifier(preset: str, no_clean: bool):
    import signver_keras as sv

    overrides = {"cleaner": None} if no_clean else {}
    return sv.SignatureVerifier.from_preset(preset, cached_graphs=True, detector=None, **overrides)


def _open(args: argparse.Namespace, with_model: bool, create: bool = False):
    """Opens the gallery; only commands that write (`create`) may create a new one."""
    import signver_keras as sv
    from signver_keras.gallery.gallery_store import check_gallery_file
    from signver_keras.gallery.store_opening import is_postgres_url

    if not create and not is_postgres_url(str(args.gallery)):
        check_gallery_file(args.gallery)  # before loading a model: a typo fails fast
    query = getattr(args, "query", None)
    if query is not None and with_model:
        from signver_keras.images import load_signature

        load_signature(query)
    verifier = None
    if with_model:
        verifier = _load_verifier(args.preset, getattr(args, "no_clean", False))
    return sv.SignatureGallery(
        args.gallery,
        verifier=verifier,
        writer_classifier=getattr(args, "writer_classifier", False),
        create=create,
    )


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def cmd_enroll(args: argparse.Namespace) -> None:
    metadata = json.loads(args.metadata) if args.metadata else None
    with _open(args, True, create=True) as gallery:
        added = gallery.enroll(args.person, args.images, metadata=metadata, source=args.source)
        total = len(gallery.references(args.person))
    payload = {"person_id": args.person, "added": added, "reference_count": total}
    emit(
        args,
        payload,
        lambda: f"Enrolled {added} reference(s) for '{args.person}' ({total} in all).",
    )


def cmd_remove(args: argparse.Namespace) -> None:
    with _open(args, False) as gallery:
        removed = gallery.remove(args.person)
    payload = {"person_id": args.person, "removed_references": removed}
    emit(args, payload, lambda: f"Removed '{args.person}' and {removed} reference(s).")


def cmd_list(args: argparse.Namespace) -> None:
    with _open(args, False) as gallery:
        if args.person:
            rows = [
                {
                    "id": r.id,
                    "enrolled": _when(r.enrolled_at),
                    "source": r.source_document,
                    "box": r.box,
                    "extractor": r.extractor_id,
                    "preset": r.extractor_preset,
                    "sha256": r.image_sha256[:12],
                }
                for r in gallery.references(args.person)
            ]
            columns = ["id", "enrolled", "source", "box", "extractor", "preset", "sha256"]
        else:
            rows = [
                {
                    "person_id": p.person_id,
                    "reference_count": p.reference_count,
                    "created": _when(p.created_at),
                    "metadata": json.dumps(p.metadata),
                }
                for p in gallery.persons()
            ]
            columns = ["person_id", "reference_count", "created", "metadata"]
    emit(args, rows, lambda: table(rows, columns) if rows else "The gallery is empty.")


def cmd_verify(args: argparse.Namespace) -> None:
    with _open(args, True) as gallery:
        result = gallery.verify(args.person, args.query)
    payload = {
        "person_id": args.person,
        "query": args.query,
        "accepted": result.accepted,
        "score": round(result.score, 4),
        "threshold": round(result.threshold, 4),
        "rule": result.rule,
        "reference_count": result.reference_count,
    }
    verdict = "ACCEPTED" if result.accepted else "REJECTED"
    emit(
        args,
        payload,
        lambda: (
            f"{verdict}: '{args.query}' vs {result.reference_count} reference(s) of "
            f"'{args.person}': score {result.score:.3f}, {result.rule} threshold "
            f"{result.threshold:.3f}"
        ),
    )


def cmd_identify(args: argparse.Namespace) -> None:
    with _open(args, True) as gallery:
        matches = gallery.identify(args.query, k=args.k)
    rows = [
        {"rank": i, "person_id": m.person_id, "score": round(m.score, 4)}
        for i, m in enumerate(matches, 1)
    ]
    emit(
        args,
        rows,
        lambda: table(rows, ["rank", "person_id", "score"]) if rows else "The gallery is empty.",
    )


def cmd_export(args: argparse.Namespace) -> None:
    with _open(args, False) as gallery:
        target = gallery.export(args.out, overwrite=args.overwrite)
        persons = len(gallery.persons())
    payload = {"out": str(target), "persons": persons}
    emit(args, payload, lambda: f"Exported {persons} person(s) to {target}.")


def cmd_import(args: argparse.Namespace) -> None:
    from signver_keras.gallery.gallery_store import check_gallery_file

    check_gallery_file(args.file)  # SQLite would turn an empty or missing file into a gallery
    with _open(args, bool(args.preset), create=True) as gallery:
        counts = gallery.import_(args.file)
    emit(
        args,
        counts,
        lambda: (
            f"Imported {counts['references']} reference(s) of {counts['persons']} person(s); "
            f"skipped {counts['skipped']} already enrolled."
        ),
    )


def add_gallery_commands(commands: argparse._SubParsersAction) -> None:
    """Registers `gallery <verb>` and the top-level `identify`."""

    def model_options(parser: argparse.ArgumentParser, required_preset: bool = True) -> None:
        parser.add_argument(
            "--preset",
            default="signver_base" if required_preset else None,
            help="pipeline preset that embeds images"
            + ("" if required_preset else " (only needed to re-embed a file of another extractor)"),
        )
        parser.add_argument("--no-clean", action="store_true", help="skip the cleaner")

    gallery = commands.add_parser("gallery", help="enrolled persons: enroll, verify, identify")
    verbs = gallery.add_subparsers(dest="verb", required=True)

    enroll = verbs.add_parser("enroll", help="add reference signatures for a person")
    enroll.add_argument("gallery", help="gallery file (SQLite) or postgresql:// URL")
    enroll.add_argument("person")
    enroll.add_argument("images", nargs="+")
    enroll.add_argument("--metadata", help="JSON object stored with the person")
    enroll.add_argument("--source", help="source document of the images (default: their paths)")
    model_options(enroll)
    enroll.set_defaults(run=cmd_enroll)

    remove = verbs.add_parser("remove", help="remove a person and their references")
    remove.add_argument("gallery")
    remove.add_argument("person")
    remove.set_defaults(run=cmd_remove)

    listing = verbs.add_parser("list", help="list persons, or one person's references")
    listing.add_argument("gallery")
    listing.add_argument("person", nargs="?")
    listing.set_defaults(run=cmd_list)

    verify = verbs.add_parser("verify", help="was QUERY signed by PERSON?")
    verify.add_argument("gallery")
    verify.add_argument("person")
    verify.add_argument("query")
    verify.add_argument(
        "--writer-classifier",
        action="store_true",
        help="judge persons with 5+ references by their own classifier (SignatureGallery docs)",
    )
    model_options(verify)
    verify.set_defaults(run=cmd_verify)

    for parser in (verbs.add_parser("identify", help="who among the enrolled signed QUERY?"),):
        parser.add_argument("gallery")
        parser.add_argument("query")
        parser.add_argument("-k", type=int, default=5, help="number of candidates (default 5)")
        model_options(parser)
        parser.set_defaults(run=cmd_identify)

    export = verbs.add_parser("export", help="write the gallery to one portable file")
    export.add_argument("gallery")
    export.add_argument("out")
    export.add_argument("--overwrite", action="store_true")
    export.set_defaults(run=cmd_export)

    importing = verbs.add_parser("import", help="merge an exported gallery file")
    importing.add_argument("gallery")
    importing.add_argument("file")
    model_options(importing, required_preset=False)
    importing.set_defaults(run=cmd_import)

    top = commands.add_parser("identify", help="who among a gallery's persons signed QUERY?")
    top.add_argument("query")
    top.add_argument("--gallery", required=True, help="gallery file or postgresql:// URL")
    top.add_argument("-k", type=int, default=5, help="number of candidates (default 5)")
    model_options(top)
    top.set_defaults(run=cmd_identify)
