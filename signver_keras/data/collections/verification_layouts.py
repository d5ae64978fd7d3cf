"""Loaders for published verification collections, in the folder layouts they are distributed in.

Each loader walks a dataset folder, reads writer, genuine/forged and (where the
file names encode it) the forger from every file name, and checks every image
can be opened. Nothing is dropped silently: a file name that matches no known
pattern, a writer id that disagrees with its folder, a missing folder or an
unreadable image raises an error naming the file and the reason. Only files
that are never signatures (`Thumbs.db`, `.DS_Store`, notes, manifests) are
skipped, and they are counted in the `LoadReport` returned beside the records.

- `cedar`: `full_org/original_W_S.png` genuine, `full_forg/forgeries_W_S.png`
  forged; writer `cedar_WWW`.
- `sigcomp2011` (alias `sign_data`): `<id>/<id>_NN.png` (or `NN_<id>`) genuine,
  `<id>_forg/FFFF<id>_NN.png` (or `NN_FFFF<id>`) forged by forger `FFFF`;
  writer `signdata_<id>`, `forger_id` `FFFF`.
- `bhsig260`: `Bengali/<n>/B-S-<n>-G-NN.tif` genuine, `...-F-NN.tif` forged,
  `Hindi/<n>/H-S-...` likewise; writer `bhsig_B001`, subset the script.
- `gpds`, `gpds_synthetic`: `<n>/c-<n>-NN.<ext>` genuine, `<n>/cf-<n>-NN.<ext>`
  forged; writer `gpds_001` / `gpdssynth_001`.
- `mcyt75` (alias `mcyt`): `<wwww>/<wwww>vNN.bmp` genuine, `<wwww>/<wwww>fNN.bmp`
  forged; writer `mcyt_0000`.
- `online`: pen trajectories, `MANIFEST.csv` and `trajectories.npz`
  (`online_signatures`), rendered as scans when read.
- `csv`: any CSV with `path, writer_id, label` (`signature_records.read_csv`).

Forgers are only recorded by SigComp's file names; elsewhere `forger_id` is None.
Writer ids carry a dataset prefix so collections can be mixed, and match the
`MANIFEST.csv` files of `../shared/data` where both exist.

Example:
```python
from signver_keras.data.collections.verification_layouts import load_layout
records, report = load_layout("cedar", "/data/CEDAR")
print(report.summary())
```
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from PIL import Image, UnidentifiedImageError

from signver_keras.data.collections.online_signatures import load_online_records
from signver_keras.data.collections.signature_records import (
    DatasetLayoutError,
    SignatureRecord,
    read_csv,
)
from signver_keras.errors import DatasetNotFoundError, InvalidImageError

#: Extensions treated as images: a file with one of these must match the layout's pattern.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".pgm"})
#: Operating-system clutter skipped (and counted) wherever it appears.
SYSTEM_FILES = frozenset({"thumbs.db", ".ds_store", "desktop.ini"})
#: How images are checked while loading: open the header (fast), decode fully, or not at all.
CHECKS = ("header", "decode", "none")


class SkippedFilesWarning(UserWarning):
    """Some files of a dataset folder were skipped by design (listed in the `LoadReport`)."""


@dataclass
class LoadReport:
    """What a loader found: record counts and the files it skipped, by reason."""

    layout: str
    root: str
    records: int = 0
    genuine: int = 0
    forged: int = 0
    writers: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)

    @property
    def skipped_count(self) -> int:
        return sum(len(paths) for paths in self.skipped.values())

    def summary(self) -> str:
        text = (
            f"{self.layout}:{self.root}: {self.records} images ({self.genuine} genuine, "
            f"{self.forged} forged) of {self.writers} writers"
        )
        if self.skipped:
            parts = [
                f"{len(paths)} {reason} (e.g. {Path(paths[0]).name})"
                for reason, paths in sorted(self.skipped.items())
            ]
            text += "; skipped " + ", ".join(parts)
        return text + "."


class LoadResult(NamedTuple):
    records: list[SignatureRecord]
    report: LoadReport


def _listing(folder: Path, limit: int = 8) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    more = f", ... ({len(names)} entries)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "nothing (empty folder)"


class _Scan:
    """Shared walking, skipping, checking and error wording for the folder loaders."""

    def __init__(self, layout: str, root: str | os.PathLike, dataset: str, check: str):
        if check not in CHECKS:
            raise ValueError(f"check should be one of {CHECKS}; received {check!r}.")
        self.layout, self.root, self.dataset, self.check = layout, Path(root), dataset, check
        self.records: list[SignatureRecord] = []
        self.report = LoadReport(layout, str(root))
        if not self.root.is_dir():
            what = "is a file, not a folder" if self.root.exists() else "does not exist"
            raise DatasetNotFoundError(f"{layout} dataset folder '{self.root}' {what}.")

    def fail(self, message: str) -> DatasetLayoutError:
        return DatasetLayoutError(f"{self.layout} layout: {message}")

    def wrong_layout(self, expected: str) -> DatasetLayoutError:
        guess = guess_layout(self.root)
        hint = (
            f" It looks like the '{guess}' layout: try {guess}:{self.root}."
            if guess and guess != self.layout
            else ""
        )
        return self.fail(
            f"expected {expected} in '{self.root}'; found {_listing(self.root)}.{hint}"
        )

    def skip(self, path: Path, reason: str) -> None:
        self.report.skipped.setdefault(reason, []).append(str(path))

    def entries(self, folder: Path) -> Iterator[Path]:
        """Entries of a folder in name order, with system files and non-images skipped."""
        for path in sorted(folder.iterdir()):
            name = path.name.lower()
            if name in SYSTEM_FILES or name.startswith("._"):
                self.skip(path, "system files")
            elif path.is_file() and path.suffix.lower() not in IMAGE_SUFFIXES:
                self.skip(path, "non-image files")
            else:
                yield path

    def folders(self, folder: Path) -> list[Path]:
        """Sub-folders of a folder; an image lying beside them is an error, not ignored."""
        found = []
        for path in self.entries(folder):
            if not path.is_dir():
                raise self.fail(f"image '{path}' lies outside a writer folder.")
            found.append(path)
        return found

    def image_files(self, folder: Path) -> Iterator[Path]:
        for path in self.entries(folder):
            if path.is_dir():
                raise self.fail(f"unexpected folder '{path}' inside '{folder}'.")
            yield path

    def unknown_name(self, path: Path, expected: str) -> DatasetLayoutError:
        return self.fail(f"file name of '{path}' does not match {expected}.")

    def _check_image(self, path: Path) -> None:
        if self.check == "none":
            return
        if path.stat().st_size == 0:
            raise InvalidImageError(f"Image file '{path}' is empty (0 bytes).")
        try:
            with Image.open(path) as image:
                if self.check == "decode":
                    image.load()
                elif min(image.size) < 1:
                    raise InvalidImageError(f"Image file '{path}' has size {image.size}.")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            if isinstance(error, InvalidImageError):
                raise
            raise InvalidImageError(
                f"Image file '{path}' is not a readable image ({error})."
            ) from error

    def add(
        self,
        path: Path,
        writer_id: str,
        genuine: bool,
        forger_id: str | None = None,
        subset: str = "",
    ) -> None:
        self._check_image(path)
        self.records.append(
            SignatureRecord(str(path), writer_id, genuine, forger_id, self.dataset, subset)
        )

    def result(self) -> LoadResult:
        if not self.records:
            raise self.fail(f"no signature images found under '{self.root}'.")
        report = self.report
        report.records = len(self.records)
        report.genuine = sum(r.genuine for r in self.records)
        report.forged = report.records - report.genuine
        report.writers = len({r.writer_id for r in self.records})
        return LoadResult(self.records, report)


def _stem_match(pattern: re.Pattern, path: Path) -> re.Match | None:
    return pattern.fullmatch(path.stem)


# --- CEDAR ---------------------------------------------------------------------------------------

_CEDAR = {
    True: ("full_org", re.compile(r"original_(\d+)_(\d+)")),
    False: ("full_forg", re.compile(r"forgeries_(\d+)_(\d+)")),
}


def load_cedar(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """CEDAR: `full_org/original_W_S.png` genuine and `full_forg/forgeries_W_S.png` forged.

    `W` is the writer (1-55), `S` the sample. Forgers are not recorded in CEDAR.
    Beware: CEDAR's genuine and forged scans differ in background tone.
    """
    scan = _Scan("cedar", root, "cedar", check)
    if not all((scan.root / name).is_dir() for name, _ in _CEDAR.values()):
        raise scan.wrong_layout("folders full_org/ (genuine) and full_forg/ (forged)")
    for folder in scan.folders(scan.root):
        if folder.name not in ("full_org", "full_forg"):
            raise scan.fail(f"unexpected folder '{folder}' beside full_org/ and full_forg/.")
    for genuine, (folder_name, pattern) in _CEDAR.items():
        folder = scan.root / folder_name
        for path in scan.image_files(folder):
            match = _stem_match(pattern, path)
            if match is None:
                other = _CEDAR[not genuine]
                if _stem_match(other[1], path):
                    raise scan.fail(f"'{path}' belongs in {other[0]}/, not {folder_name}/.")
                raise scan.unknown_name(path, f"'{pattern.pattern}.<ext>'")
            scan.add(path, f"cedar_{int(match[1]):03d}", genuine)
    return scan.result()


# --- SigComp 2011 / Kaggle sign_data ------------------------------------------------------------

_SIGCOMP_FOLDER = re.compile(r"(\d+)(_forg)?")
# Generic shapes, used to tell a misplaced file from an unknown name.
_SIGCOMP_ANY = re.compile(r"(?:(?P<f>\d{4})?(?P<w>\d{3})_\d+|\d+_(?P<f2>\d{4})?(?P<w2>\d{3}))")


def _sigcomp_patterns(writer: str, genuine: bool) -> tuple[re.Pattern, ...]:
    if genuine:
        return re.compile(rf"{writer}_(?P<n>\d+)"), re.compile(rf"(?P<n>\d+)_{writer}")
    return (
        re.compile(rf"(?P<f>\d{{4}}){writer}_(?P<n>\d+)"),
        re.compile(rf"(?P<n>\d+)_(?P<f>\d{{4}}){writer}"),
    )


def load_sigcomp2011(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """SigComp 2011 Dutch as in the Kaggle `sign_data` copy: `<id>/` genuine, `<id>_forg/` forged.

    Genuine files are `<id>_NN.png` (or `NN_<id>.png`); forgeries are
    `FFFF<id>_NN.png` (or `NN_FFFF<id>.png`) with the 4-digit forger `FFFF`,
    which becomes `forger_id`. The target id in each file name must equal its
    folder's id. Point it at the folder holding the writer folders
    (e.g. `sign_data/train` or `Dataset/train`).
    """
    scan = _Scan("sigcomp2011", root, "sigcomp2011", check)
    folders = scan.folders(scan.root)
    if not any(_SIGCOMP_FOLDER.fullmatch(p.name) for p in folders):
        raise scan.wrong_layout("writer folders <id>/ and <id>_forg/")
    for folder in folders:
        match = _SIGCOMP_FOLDER.fullmatch(folder.name)
        if match is None:
            raise scan.fail(
                f"folder '{folder}' is neither <id>/ (genuine) nor <id>_forg/ (forged)."
            )
        writer, genuine = match[1], match[2] is None
        patterns = _sigcomp_patterns(writer, genuine)
        for path in scan.image_files(folder):
            found = next((m for p in patterns if (m := _stem_match(p, path))), None)
            if found is None:
                shape = _stem_match(_SIGCOMP_ANY, path)
                if shape is not None and (shape["w"] or shape["w2"]) != writer:
                    raise scan.fail(
                        f"'{path}' names writer {shape['w'] or shape['w2']} but lies in "
                        f"folder {folder.name}/."
                    )
                expected = (
                    f"'{writer}_NN' or 'NN_{writer}'"
                    if genuine
                    else f"'FFFF{writer}_NN' or 'NN_FFFF{writer}' (4-digit forger id)"
                )
                raise scan.unknown_name(path, expected)
            forger = None if genuine else found["f"]
            scan.add(path, f"signdata_{writer}", genuine, forger)
    return scan.result()


# --- BHSig260 ------------------------------------------------------------------------------------

_BHSIG_SCRIPTS = {"bengali": "B", "hindi": "H"}
_BHSIG_FILE = re.compile(r"(?P<s>[BH])-S-(?P<w>\d+)-(?P<k>[GF])-(?P<n>\d+)")


def load_bhsig260(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """BHSig260: `Bengali/<n>/B-S-<n>-G-NN.tif` genuine, `...-F-NN.tif` forged; `Hindi/` likewise.

    `root` is the folder holding `Bengali/` and/or `Hindi/`, or one of them.
    The script letter and writer number in each name must match the folders.
    """
    scan = _Scan("bhsig260", root, "bhsig260", check)
    if scan.root.name.lower() in _BHSIG_SCRIPTS:
        scripts = [scan.root]
    else:
        found = scan.folders(scan.root)
        scripts = [p for p in found if p.name.lower() in _BHSIG_SCRIPTS]
        if not scripts:
            raise scan.wrong_layout("folders Bengali/ and/or Hindi/")
        others = [p for p in found if p.name.lower() not in _BHSIG_SCRIPTS]
        if others:
            raise scan.fail(f"unexpected folder '{others[0]}' beside Bengali/ and Hindi/.")
    for script in scripts:
        letter = _BHSIG_SCRIPTS[script.name.lower()]
        for folder in scan.folders(script):
            if not folder.name.isdigit():
                raise scan.fail(f"'{folder}' should be a writer folder named by number.")
            for path in scan.image_files(folder):
                match = _stem_match(_BHSIG_FILE, path)
                if match is None:
                    raise scan.unknown_name(path, f"'{letter}-S-<writer>-G|F-<NN>'")
                if match["s"] != letter or int(match["w"]) != int(folder.name):
                    raise scan.fail(
                        f"'{path}' names {match['s']} writer {match['w']} but lies in "
                        f"{script.name}/{folder.name}/."
                    )
                writer = f"bhsig_{letter}{int(folder.name):03d}"
                scan.add(path, writer, match["k"] == "G", subset=script.name)
    return scan.result()


# --- GPDS ----------------------------------------------------------------------------------------

# Published naming, per writer folder `<nnn>/`: genuine `c-<nnn>-<ss>`, skilled forgeries
# `cf-<nnn>-<ss>`; .bmp in GPDS-960/300 bw, .png/.jpg in the grayscale and synthetic releases.
# See e.g. luizgh/sigver sigver/datasets/gpds.py (GPDS-960 grayscale: files starting 'c-' are
# genuine, 'cf' forged; get_signature builds '{c|cf}-{user:03d}-{img:02d}.png') and
# joaor/Machine_Learning-False_Signature_Detection load_files.m (firmasGPDS960bw300/<nnn>/
# c-<nnn>-<ss>.bmp and cf-<nnn>-<ss>.bmp). The GPDS synthetic loaders in the sigver forks
# (gpds_synth.py) use the same scheme with writer folders beyond 999.
_GPDS_FILE = re.compile(r"(?P<k>cf|c)-(?P<w>\d+)-(?P<n>\d+)", re.IGNORECASE)


def _load_gpds(layout: str, prefix: str, root: str | os.PathLike, check: str) -> LoadResult:
    scan = _Scan(layout, root, layout, check)
    folders = scan.folders(scan.root)
    if not any(p.name.isdigit() for p in folders):
        raise scan.wrong_layout("writer folders named by number (001/, 002/, ...)")
    for folder in folders:
        if not folder.name.isdigit():
            raise scan.fail(f"'{folder}' should be a writer folder named by number.")
        for path in scan.image_files(folder):
            match = _stem_match(_GPDS_FILE, path)
            if match is None:
                raise scan.unknown_name(path, "'c-<writer>-<NN>' (genuine) or 'cf-<writer>-<NN>'")
            if int(match["w"]) != int(folder.name):
                raise scan.fail(f"'{path}' names writer {match['w']} but lies in {folder.name}/.")
            scan.add(path, f"{prefix}_{int(folder.name):03d}", match["k"].lower() == "c")
    return scan.result()


def load_gpds(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """GPDS-960 / GPDS-300 (gray or bw): `<nnn>/c-<nnn>-NN.<ext>` genuine, `cf-...` forged."""
    return _load_gpds("gpds", "gpds", root, check)


def load_gpds_synthetic(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """GPDS Synthetic Signature Database: same naming as GPDS, usually `.jpg`; ids `gpdssynth_*`."""
    return _load_gpds("gpds_synthetic", "gpdssynth", root, check)


# --- MCYT-75 -------------------------------------------------------------------------------------

_MCYT_FILE = re.compile(r"(?P<w>\d+)(?P<k>[vf])(?P<n>\d+)", re.IGNORECASE)


def load_mcyt75(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """MCYT-75: `<wwww>/<wwww>vNN.bmp` genuine, `<wwww>/<wwww>fNN.bmp` skilled forgeries."""
    scan = _Scan("mcyt75", root, "mcyt75", check)
    folders = scan.folders(scan.root)
    if not any(p.name.isdigit() for p in folders):
        raise scan.wrong_layout("writer folders named by number (0000/, 0001/, ...)")
    for folder in folders:
        if not folder.name.isdigit():
            raise scan.fail(f"'{folder}' should be a writer folder named by number.")
        for path in scan.image_files(folder):
            match = _stem_match(_MCYT_FILE, path)
            if match is None:
                raise scan.unknown_name(path, f"'{folder.name}vNN' (genuine) or '{folder.name}fNN'")
            if match["w"] != folder.name:
                raise scan.fail(f"'{path}' names writer {match['w']} but lies in {folder.name}/.")
            scan.add(path, f"mcyt_{folder.name}", match["k"].lower() == "v")
    return scan.result()


# --- generic CSV ---------------------------------------------------------------------------------


def load_csv(path: str | os.PathLike, check: str = "header") -> LoadResult:
    """A CSV with columns `path, writer_id, label` (optional `forger_id`, `subset`)."""
    records = read_csv(path)
    scan = _Scan("csv", Path(path).parent, Path(path).parent.name, check)
    scan.report.root = str(path)
    for record in records:
        scan._check_image(Path(record.path))
    scan.records = records
    return scan.result()


def load_online(root: str | os.PathLike, check: str = "header") -> LoadResult:
    """Pen trajectories: `MANIFEST.csv` and `trajectories.npz` (see `online_signatures`).

    Records are rendered as scans when their image is read; `check` does not apply.
    """
    records = load_online_records(root)
    report = LoadReport(
        "online",
        str(root),
        records=len(records),
        genuine=sum(r.genuine for r in records),
        forged=sum(not r.genuine for r in records),
        writers=len({r.writer_id for r in records}),
    )
    return LoadResult(records, report)


# --- registry ------------------------------------------------------------------------------------

#: Layout name -> loader `(path, check) -> LoadResult`, used by `load_verification_data`.
LAYOUT_LOADERS: dict[str, Callable[..., LoadResult]] = {
    "cedar": load_cedar,
    "sigcomp2011": load_sigcomp2011,
    "sign_data": load_sigcomp2011,
    "bhsig260": load_bhsig260,
    "gpds": load_gpds,
    "gpds_synthetic": load_gpds_synthetic,
    "mcyt75": load_mcyt75,
    "mcyt": load_mcyt75,
    "online": load_online,
}


def load_layout(layout: str, path: str | os.PathLike, check: str = "header") -> LoadResult:
    """Loads a dataset folder in a named layout (`LAYOUT_LOADERS`, or `csv`)."""
    if layout == "csv":
        return load_csv(path, check)
    if layout not in LAYOUT_LOADERS:
        raise DatasetLayoutError(
            f"Unknown layout '{layout}'. Known: csv, {', '.join(sorted(LAYOUT_LOADERS))}."
        )
    return LAYOUT_LOADERS[layout](path, check)


def load_records(layout: str, path: str | os.PathLike) -> list[SignatureRecord]:
    """`load_layout(...).records`, with a `SkippedFilesWarning` when files were skipped."""
    records, report = load_layout(layout, path)
    if report.skipped:
        warnings.warn(report.summary(), SkippedFilesWarning, stacklevel=3)
    return records


def guess_layout(root: str | os.PathLike) -> str | None:
    """The layout a folder most likely has (from a quick look at names), or None."""
    root = Path(root)
    if not root.is_dir():
        return None
    names = {p.name for p in root.iterdir()}
    lower = {n.lower() for n in names}
    if {"full_org", "full_forg"} & lower:
        return "cedar"
    if "MANIFEST.csv" in names:
        return "manifest"
    if lower & set(_BHSIG_SCRIPTS) or root.name.lower() in _BHSIG_SCRIPTS:
        return "bhsig260"
    if any(n.endswith("_forg") for n in names):
        return "sigcomp2011"
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())[:3]:
        for file in sorted(folder.iterdir())[:20]:
            if _GPDS_FILE.fullmatch(file.stem):
                return "gpds"
            if _MCYT_FILE.fullmatch(file.stem):
                return "mcyt75"
    return None
