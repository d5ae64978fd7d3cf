"""The Gradio layout: four tabs wired to `signver_keras.ui.handlers`.

Needs the `ui` extra: `pip install 'signver-keras[ui]'` (gradio, pypdfium2).
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
from collections.abc import Callable

from signver_keras import families
from signver_keras.errors import SignverError
from signver_keras.ui import handlers
from signver_keras.ui.handlers import AppContext

logger = logging.getLogger("signver_keras.ui")

#: Errors caused by the input: shown as their message. Anything else is logged on
#: the server with its traceback and shown as a one-line message; never a stack trace.
USER_ERRORS = (SignverError, ValueError, LookupError, FileNotFoundError, ImportError)

EVALUATE_TASKS = list(families.EVALUATE_TASKS)


def _friendly(message: str) -> str:
    # Upload paths are long temporary names: show only the file name.
    return re.sub(r"'[^']*/([^/']+)'", r"'\1'", message)


def shown_errors(function: Callable) -> Callable:
    """Turns exceptions of a handler into `gr.Error` messages (the server keeps running)."""
    import gradio as gr

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as error:
            raise gr.Error(_friendly(str(error)), duration=None) from None
        except Exception as error:  # noqa: BLE001 - the server must survive any input
            logger.error("UI handler %s failed:\n%s", function.__name__, traceback.format_exc())
            raise gr.Error(
                f"Something went wrong ({type(error).__name__}: {_friendly(str(error))}). "
                "The server log has the details.",
                duration=None,
            ) from None

    return wrapper


def _paths(files) -> list[str]:
    if not files:
        return []
    files = files if isinstance(files, list) else [files]
    return [getattr(f, "name", f) for f in files]


def _image_strip(label: str, columns: int, height: int, **kwargs):
    """A read-only row of numpy images with captions (crops, before/after, candidates)."""
    import gradio as gr

    return gr.Gallery(
        label=label,
        columns=columns,
        height=height,
        type="numpy",
        interactive=False,
        object_fit="contain",
        **kwargs,
    )


def build_app(ctx: AppContext):
    """Builds the `gr.Blocks` app over a loaded `AppContext` (models already loaded)."""
    import gradio as gr

    def progress_of(progress) -> handlers.Progress:
        return lambda fraction, message: progress(fraction, desc=message)

    has_gallery = ctx.gallery_path is not None
    no_gallery_note = "Start the app with `--gallery PATH` to enroll, identify and search."
    threshold0 = handlers.default_threshold(ctx)

    with gr.Blocks(title="signver-keras") as app:
        gr.Markdown(
            f"# signver-keras\nOffline handwritten signature verification · preset "
            f"`{ctx.preset}` · gallery `{ctx.gallery_path or 'none'}`"
        )
        doc_state = gr.State(None)

        # --- Documents ------------------------------------------------------------------
        with gr.Tab("Documents", id="documents"):
            with gr.Row():
                with gr.Column(scale=1):
                    pages_in = gr.File(
                        label="Pages (images or PDF)", file_count="multiple", elem_id="pages-in"
                    )
                    detect_btn = gr.Button("Detect", variant="primary", elem_id="detect-btn")
                    threshold = gr.Slider(
                        0.0,
                        1.0,
                        value=threshold0,
                        step=0.01,
                        label="Score threshold",
                        elem_id="threshold",
                    )
                    page_pick = gr.Dropdown(label="Page", choices=[], elem_id="page-pick")
                    tags = gr.Markdown(elem_id="tags")
                    with gr.Group():
                        expected = gr.Textbox(
                            label="Expected signers (person ids, comma separated)",
                            interactive=has_gallery,
                            placeholder=None if has_gallery else no_gallery_note,
                        )
                        who_btn = gr.Button(
                            "Who signed? / all expected signed?", interactive=has_gallery
                        )
                    report = gr.Markdown(elem_id="signer-report")
                with gr.Column(scale=2):
                    overlay = gr.Image(
                        label="Detections",
                        type="pil",
                        elem_id="overlay",
                        interactive=False,
                        height=820,
                    )
                    crops = _image_strip("Crops", 4, 220, elem_id="crops")

        # --- Verify ---------------------------------------------------------------------
        with gr.Tab("Verify", id="verify"):
            with gr.Row():
                with gr.Column(scale=1):
                    query_in = gr.File(label="Questioned signature", elem_id="query-in")
                    query_crop = gr.Dropdown(
                        label="…or a crop from the Documents tab", choices=[], elem_id="query-crop"
                    )
                    refs_in = gr.File(
                        label="Reference signatures", file_count="multiple", elem_id="refs-in"
                    )
                    person_pick = gr.Dropdown(
                        label="…or an enrolled person",
                        choices=[],
                        allow_custom_value=True,
                        interactive=has_gallery,
                        elem_id="verify-person",
                    )
                    verify_btn = gr.Button("Verify", variant="primary", elem_id="verify-btn")
                with gr.Column(scale=2):
                    verdict = gr.Markdown(elem_id="verdict")
                    plot = gr.Image(
                        label="Score vs validation distributions",
                        type="pil",
                        interactive=False,
                        elem_id="score-plot",
                    )
                    before_after = _image_strip("Before / after the cleaner", 4, 260)

        # --- Gallery --------------------------------------------------------------------
        with gr.Tab("Gallery", id="gallery"):
            if not has_gallery:
                gr.Markdown(f"**No gallery.** {no_gallery_note}")
            with gr.Row():
                with gr.Column():
                    gr.Markdown("### Enroll")
                    person_id = gr.Textbox(
                        label="Person id", elem_id="enroll-id", interactive=has_gallery
                    )
                    enroll_files = gr.File(
                        label="Signature images", file_count="multiple", elem_id="enroll-files"
                    )
                    enroll_crops = gr.CheckboxGroup(
                        label="…and/or crops from the Documents tab", choices=[]
                    )
                    enroll_btn = gr.Button(
                        "Enroll", variant="primary", elem_id="enroll-btn", interactive=has_gallery
                    )
                    gallery_status = gr.Markdown(elem_id="gallery-status")
                    persons = gr.Dataframe(
                        headers=["person", "references"],
                        label="Enrolled",
                        interactive=False,
                        elem_id="persons",
                    )
                    with gr.Row():
                        remove_pick = gr.Dropdown(
                            label="Person (remove, find documents)",
                            choices=[],
                            interactive=has_gallery,
                        )
                        remove_btn = gr.Button("Remove", variant="stop", interactive=has_gallery)
                with gr.Column():
                    gr.Markdown("### Identify (1:N)")
                    identify_in = gr.File(label="Query signature", elem_id="identify-in")
                    identify_crop = gr.Dropdown(
                        label="…or a crop from the Documents tab", choices=[]
                    )
                    top_k = gr.Slider(1, 10, value=5, step=1, label="Candidates")
                    identify_btn = gr.Button(
                        "Identify",
                        variant="primary",
                        elem_id="identify-btn",
                        interactive=has_gallery,
                    )
                    identify_summary = gr.Markdown(elem_id="identify-summary")
                    candidates = _image_strip("Candidates", 5, 200)
                    gr.Markdown("### Find documents signed by this person")
                    find_folder = gr.Textbox(label="Folder of page images (searched recursively)")
                    find_btn = gr.Button("Find documents", interactive=has_gallery)
                    found_docs = gr.Dataframe(
                        headers=["document", "box", "score", "threshold"], interactive=False
                    )

        # --- Evaluate -------------------------------------------------------------------
        with gr.Tab("Evaluate", id="evaluate"):
            with gr.Row():
                with gr.Column(scale=1):
                    task = gr.Dropdown(EVALUATE_TASKS, value="verification", label="Task")
                    eval_preset = gr.Textbox(
                        value=families.family("extractor").default_preset,
                        label="Preset (name, folder or hf://)",
                    )
                    data = gr.Textbox(
                        label="Datasets, one LAYOUT:PATH per line",
                        placeholder="manifest:/data/sigcomp2011_dutch",
                        lines=3,
                    )
                    eval_btn = gr.Button("Evaluate", variant="primary")
                with gr.Column(scale=2):
                    table = gr.Markdown()
                    plots = gr.Gallery(
                        label="Plots",
                        columns=1,
                        height="auto",
                        interactive=False,
                        object_fit="contain",
                    )

        # --- Wiring ---------------------------------------------------------------------
        def people_updates():
            ids = [row[0] for row in handlers.persons_table(ctx)]
            return (
                handlers.persons_table(ctx),
                gr.update(choices=ids),
                gr.update(choices=ids),
            )

        def redraw(state, page_label, value):
            pages = (state or {}).get("pages", [])
            names = [p["name"] for p in pages]
            index = names.index(page_label) if page_label in names else 0
            shown = handlers.render_page(ctx, state, index, value)
            choices = shown["choices"]
            return (
                shown["overlay"],
                shown["crops"],
                shown["tags"],
                gr.update(choices=choices, value=None),
                gr.update(choices=choices, value=[]),
                gr.update(choices=choices, value=None),
            )

        redraw_outputs = [overlay, crops, tags, query_crop, enroll_crops, identify_crop]

        @shown_errors
        def on_detect(files, value, progress=gr.Progress()):  # noqa: B008
            state = handlers.detect_documents(ctx, _paths(files), progress_of(progress))
            names = [p["name"] for p in state["pages"]]
            return (
                state,
                gr.update(choices=names, value=names[0]),
                *redraw(state, names[0], value),
            )

        detect_btn.click(on_detect, [pages_in, threshold], [doc_state, page_pick, *redraw_outputs])
        pages_in.upload(on_detect, [pages_in, threshold], [doc_state, page_pick, *redraw_outputs])
        # Redraws from the cached detections: the model does not run again.
        threshold.release(shown_errors(redraw), [doc_state, page_pick, threshold], redraw_outputs)
        page_pick.input(shown_errors(redraw), [doc_state, page_pick, threshold], redraw_outputs)

        @shown_errors
        def on_who(state, page_label, value, expected_ids):
            names = [p["name"] for p in (state or {}).get("pages", [])]
            index = names.index(page_label) if page_label in names else 0
            return handlers.who_signed(ctx, state, index, value, expected_ids)

        who_btn.click(on_who, [doc_state, page_pick, threshold, expected], report)

        @shown_errors
        def on_verify(query, crop, state, refs, person, progress=gr.Progress()):  # noqa: B008
            progress(0.1, desc="Cleaning and embedding")
            result = handlers.verify(
                ctx, _paths(query)[0] if query else None, crop, state, _paths(refs), person
            )
            return result["verdict"], result["plot"], result["images"]

        verify_btn.click(
            on_verify,
            [query_in, query_crop, doc_state, refs_in, person_pick],
            [verdict, plot, before_after],
        )

        @shown_errors
        def on_enroll(person, files, crop_values, state, progress=gr.Progress()):  # noqa: B008
            progress(0.1, desc="Cleaning and embedding")
            message = handlers.enroll(ctx, person, _paths(files), crop_values, state)
            return (message, *people_updates(), gr.update(value=None))

        enroll_btn.click(
            on_enroll,
            [person_id, enroll_files, enroll_crops, doc_state],
            [gallery_status, persons, remove_pick, person_pick, enroll_files],
        )

        @shown_errors
        def on_remove(person):
            return (handlers.remove(ctx, person), *people_updates())

        remove_btn.click(
            on_remove, remove_pick, [gallery_status, persons, remove_pick, person_pick]
        )

        @shown_errors
        def on_identify(query, crop, state, k):
            result = handlers.identify(ctx, _paths(query)[0] if query else None, crop, state, k)
            return result["summary"], result["candidates"]

        identify_btn.click(
            on_identify,
            [identify_in, identify_crop, doc_state, top_k],
            [identify_summary, candidates],
        )

        @shown_errors
        def on_find(person, folder, value, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
            progress(0.0, desc="Detecting and matching signatures")
            return handlers.find_documents(ctx, person, folder, value)

        find_btn.click(on_find, [remove_pick, find_folder, threshold], found_docs)

        @shown_errors
        def on_evaluate(task_name, preset, specs, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
            result = handlers.evaluate(ctx, task_name, preset, specs, progress_of(progress))
            return result["table"], result["plots"]

        eval_btn.click(on_evaluate, [task, eval_preset, data], [table, plots])

        app.load(shown_errors(people_updates), None, [persons, remove_pick, person_pick])
    return app
