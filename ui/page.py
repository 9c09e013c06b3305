"""The page: tabs, fields and buttons, and which handler each event calls.

Styles and the small script in the page head live here too: the citation-marker clicks that open a
source card, and accessible names for Gradio's unlabelled inputs.
"""

from __future__ import annotations

import json

import gradio as gr

from .handlers import App
from .render import EMPTY_SOURCES, filter_chips

CSS = """
#filter-chips { padding: 0 !important; min-height: 0 !important; }
#sources-panel { max-height: 640px; overflow-y: auto; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.src-card.active { border-color: #e0a800; box-shadow: 0 0 0 2px #ffe08a; }
.src-head { font-size: 0.92em; }
.src-quote { font-size: 0.88em; color: var(--body-text-color-subdued); margin-top: 4px; }
.src-context { display: none; margin-top: 6px; font-size: 0.92em; line-height: 1.45; max-height: 260px; overflow-y: auto; }
.src-card.active .src-context { display: block; }
.src-card.active .src-quote { display: none; }
.src-context mark { background: #ffe08a; padding: 0 1px; }
.src-context mark.answer { background: #ffc44d; font-weight: 600; outline: 1px solid #b07d00; }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; margin-left: 4px; white-space: nowrap; }
.chips { font-size: 0.85em; margin: -4px 0 4px; }
.timebox input.time { min-width: 0; width: 0; }  /* the date text shrinks so its calendar button stays in view */
.timebox input.time.invalid { color: #b42318; text-decoration: underline wavy #b42318; }  /* not a date: say so */
.timebox input.time::placeholder { color: var(--input-placeholder-color); }
.chip { display: inline-block; background: #e8f0fe; color: #1a3d7c; border-radius: 10px; padding: 1px 8px; margin-left: 4px; }
.badge.supported { background: #d4f4dd; color: #135c2a; }
.badge.weak { background: #fff1c2; color: #6b5200; }
.badge.unsupported { background: #ffd6d6; color: #8a1010; }
#backend-line { font-size: 0.85em; }
"""

# Citation markers are links to "#cite-N"; clicking one opens that passage in the Sources panel
# (capture phase, so Gradio's own link handling does not open a new tab).
HEAD = """
<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest && e.target.closest('a[href^="#cite-"], a[href^="#src-"], a[href^="#lead-"]');
  if (!a) return;
  e.preventDefault(); e.stopPropagation();
  const id = a.getAttribute('href').slice(1);
  const card = document.getElementById(id);
  if (!card) return;
  document.querySelectorAll('.src-card.active').forEach(c => c.classList.remove('active'));
  card.classList.add('active');
  card.scrollIntoView({block: 'nearest'});
  const m = card.querySelector('mark');
  if (m) m.scrollIntoView({block: 'nearest'});
}, true);
// Gradio's date boxes and a few others render an <input> with no accessible name: give each the
// label its block shows, so screen readers (and the accessibility check) name every field.
function labelInputs() {
  document.querySelectorAll('.block input:not([aria-label]):not([type=hidden]), .block textarea:not([aria-label])').forEach(function (el) {
    if (el.labels && el.labels.length && el.labels[0].textContent.trim()) return;
    const block = el.closest('.block');
    const span = block && block.querySelector('[data-testid="block-info"], .label-text, label span');
    const text = span ? span.textContent.trim() : '';
    if (text) el.setAttribute('aria-label', text);
  });
}
new MutationObserver(labelInputs).observe(document.documentElement, {childList: true, subtree: true});
</script>
"""


def date_field(label: str, elem_id: str) -> gr.DateTime:
    """A day filter with a calendar picker; the value reaches handlers as typed (see `typed_dates_js`)."""
    return gr.DateTime(label=label, include_time=False, type="string", elem_id=elem_id, scale=1, min_width=170)


def typed_dates_js(n_inputs: int, fields: dict[int, str]) -> str:
    """Browser code run before a handler: each date input is replaced by the text its field shows.

    gr.DateTime keeps its last valid value when the typed text is not a date, so without this the
    question would run with a filter the user no longer sees; with it, a bad date gets a sentence.
    """
    picks = "".join(f"args[{i}] = shown({json.dumps(f'#{elem_id} input')}, args[{i}]);" for i, elem_id in fields.items())
    return ("(...args) => { const shown = (sel, v) => { const el = document.querySelector(sel); "
            "return el ? el.value : v; }; " + picks + f" return args.slice(0, {n_inputs}); }}")


def clear_typed_dates_js(elem_ids: list[str]) -> str:
    """Browser code that empties date fields' text too (a rejected typed date is not their value, so
    setting the value to "" alone would leave that text on screen and in the next question)."""
    sel = json.dumps(", ".join(f"#{e} input" for e in elem_ids))
    return (f"() => {{ document.querySelectorAll({sel}).forEach(el => {{ el.value = ''; "
            "el.dispatchEvent(new Event('input', {bubbles: true})); }); return []; }")


def build(app: App) -> gr.Blocks:
    """The Blocks layout and its event wiring."""
    outlets = app.corpus.catalog.sources()
    with gr.Blocks(title="News RAG — cited answers", analytics_enabled=False) as demo:
        gr.Markdown("## News RAG — cited answers and briefings")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        with gr.Row(elem_id="filters-row", equal_height=True):
                            ask_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets (all when empty)", elem_id="ask-outlets", scale=2)
                            ask_since = date_field("Since", "ask-since")
                            ask_until = date_field("Until", "ask-until")
                        chips = gr.HTML("", elem_id="filter-chips")
                        # No LaTeX: a "$" in an article must stay a dollar sign. No copy button on messages:
                        # they hold the app's markup; "Copy or export" below gives clean Markdown.
                        # Sized so the question, Ask and the status line sit above the fold at 1280×800.
                        chat = gr.Chatbot(label="Chat", height=340, elem_id="chat", buttons=[], feedback_options=None,
                                          latex_delimiters=[], sanitize_html=True)
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(label="Question", placeholder="Which Iraqi army divisions are named?",
                                                  elem_id="question", lines=1, scale=5)
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn", scale=1, min_width=90)
                        with gr.Row(equal_height=True):
                            backend = gr.Markdown("Loading model…", elem_id="backend-line")
                            clear_btn = gr.Button("New conversation", elem_id="clear-btn", scale=0, min_width=170, size="sm")
                        with gr.Accordion("Copy or export the last answer", open=False, elem_id="export"):
                            answer_md = gr.Textbox(label="Answer as Markdown", lines=6, buttons=["copy"], interactive=False, elem_id="answer-md")
                            answer_file = gr.DownloadButton("Download answer (.md)", elem_id="answer-download", visible=False)
                    with gr.Column(scale=2):
                        gr.Markdown("**Sources** — click a citation marker to open its passage")
                        sources = gr.HTML(EMPTY_SOURCES, elem_id="sources-panel")
                inputs = [question, chat, ask_outlets, ask_since, ask_until]
                outputs = [chat, sources, backend, question, answer_md, answer_file]
                typed = typed_dates_js(len(inputs), {3: "ask-since", 4: "ask-until"})
                ask_btn.click(app.chat, inputs, outputs, api_name="chat", js=typed)
                question.submit(app.chat, inputs, outputs, api_name="ui_chat_submit", api_visibility="private", js=typed)
                for f in (ask_outlets, ask_since, ask_until):
                    f.change(filter_chips, [ask_outlets, ask_since, ask_until], [chips], api_name=False, show_progress="hidden")
                clear_btn.click(lambda: ([], EMPTY_SOURCES, "", [], "", "", "", "", gr.update(visible=False)), None,
                                [chat, sources, backend, ask_outlets, ask_since, ask_until, chips, answer_md, answer_file],
                                api_name="ui_clear", api_visibility="private", js=clear_typed_dates_js(["ask-since", "ask-until"]))
            with gr.Tab("Briefing", id="brief"):
                with gr.Row():
                    topic = gr.Textbox(label="Topic", placeholder="Iran-backed militias and Iraqi security forces", elem_id="brief-topic", scale=3)
                    max_articles = gr.Slider(1, 60, value=20, step=1, label="Max articles", scale=1)
                with gr.Row():
                    brief_outlets = gr.Dropdown(outlets, multiselect=True, label="Outlets", elem_id="brief-outlets")
                    brief_since = date_field("Since", "brief-since")
                    brief_until = date_field("Until", "brief-until")
                brief_btn = gr.Button("Generate briefing", variant="primary", elem_id="brief-btn")
                with gr.Row():
                    save_name = gr.Textbox(label="Save briefing as", placeholder="gaza-daily", elem_id="brief-save-name", scale=2,
                                           visible=not app.read_only)
                    save_btn = gr.Button("Save briefing", elem_id="brief-save-btn", scale=1, visible=not app.read_only)
                    saved = gr.Dropdown(app.saved_briefings(), label="Saved briefings", elem_id="brief-saved", scale=2)
                    since_btn = gr.Button("What is new since", elem_id="brief-since-last-btn", scale=1)
                save_status = gr.Markdown(elem_id="brief-save-status")
                brief_md = gr.Markdown(elem_id="brief-out", latex_delimiters=[], buttons=["copy"])
                brief_file = gr.File(label="Download .md", elem_id="brief-download")
                brief_btn.click(app.brief, [topic, brief_outlets, brief_since, brief_until, max_articles], [brief_md, brief_file],
                                api_name="ui_brief", api_visibility="private",
                                js=typed_dates_js(5, {2: "brief-since", 3: "brief-until"}))
                save_btn.click(app.save_brief, [topic, brief_outlets, brief_since, brief_until, max_articles, save_name],
                               [save_status, saved], api_name="ui_save_brief", api_visibility="private",
                               js=typed_dates_js(6, {2: "brief-since", 3: "brief-until"}))
                since_btn.click(app.since_last, [saved], [brief_md, brief_file], api_name="ui_since_last", api_visibility="private")
            with gr.Tab("Library", id="library"):
                stats = gr.Markdown(app.stats_md(), elem_id="library-stats")
                upload = gr.File(label="Upload articles (txt, md, html, pdf, json, jsonl)", file_count="multiple",
                                 file_types=[e.strip() for e in app.settings.upload_extensions.split(",")], elem_id="upload",
                                 visible=not app.read_only)
                ingest_btn = gr.Button("Ingest uploaded files", variant="primary", elem_id="ingest-btn", visible=not app.read_only)
                with gr.Row(visible=not app.read_only):
                    addresses = gr.Textbox(label="Add by web address (one per line)", placeholder="https://…", lines=2,
                                           elem_id="addresses", scale=4)
                    as_feeds = gr.Checkbox(label="these are RSS/Atom feeds", elem_id="as-feeds", scale=1)
                    fetch_btn = gr.Button("Fetch and ingest", elem_id="fetch-btn", scale=1)
                results = gr.Dataframe(headers=["file", "result", "detail"], label="Ingest results", elem_id="ingest-results",
                                       interactive=False, wrap=True)
                with gr.Row():
                    search = gr.Textbox(label="Search articles (title, outlet or id)", elem_id="library-search", scale=3)
                    selected = gr.State("")
                    del_btn = gr.Button("Delete selected article", variant="stop", elem_id="delete-btn", scale=1,
                                        interactive=False, visible=not app.read_only)
                sel_msg = gr.Markdown(elem_id="selected-article")
                del_msg = gr.Markdown(elem_id="delete-msg")
                with gr.Row(visible=False) as confirm_row:
                    confirm_btn = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete-btn")
                    cancel_btn = gr.Button("Cancel", elem_id="cancel-delete-btn")
                headers = ["title", "outlet", "date", "chunks", "id"] + ([] if app.read_only else ["delete"])
                widths = ["50%", "18%", "12%", "7%", "13%"] if app.read_only else ["43%", "16%", "11%", "6%", "13%", "11%"]
                table = gr.Dataframe(app.library_rows(), headers=headers, elem_id="articles-table", wrap=True, max_height=360,
                                     label="Articles (click a row to select it, or its Delete cell to remove it)",
                                     interactive=False, column_widths=widths)  # every column fits 1280 px
                ingest_btn.click(app.ingest_files, [upload], [results, table, stats, ask_outlets, brief_outlets],
                                 api_name="ui_ingest", api_visibility="private")
                fetch_btn.click(app.ingest_addresses, [addresses, as_feeds], [results, table, stats, ask_outlets, brief_outlets],
                                api_name="ui_ingest_addresses", api_visibility="private")
                search.change(app.library_rows, [search], [table], api_name="ui_articles", api_visibility="private")
                table.select(app.select_article, None, [selected, sel_msg, del_btn, del_msg, confirm_row], api_name="ui_select", api_visibility="private")
                del_btn.click(app.ask_delete, [selected], [del_msg, confirm_row], api_name="ui_ask_delete", api_visibility="private")
                confirm_btn.click(app.delete, [selected, search], [del_msg, table, stats, selected, sel_msg, del_btn, confirm_row],
                                  api_name="ui_delete", api_visibility="private")
                cancel_btn.click(lambda: ("", gr.update(visible=False)), None, [del_msg, confirm_row],
                                 api_name="ui_cancel_delete", api_visibility="private")
            with gr.Tab("Evaluate", id="eval"):
                with gr.Row():
                    gold = gr.Dropdown(app.gold_choices(), value=(app.gold_choices() or [None])[0], label="Shipped gold file", elem_id="gold-file")
                    gold_up = gr.File(label="…or upload a gold file (.jsonl / MultiHop .json)", file_types=[".jsonl", ".json"],
                                      elem_id="eval-upload", visible=not app.read_only)  # read-only takes no files
                eval_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-btn")
                metrics = gr.Dataframe(headers=["metric", "value", "what it means"], label="Metrics", elem_id="eval-metrics",
                                       interactive=False, wrap=True, column_widths=["22%", "10%", "68%"])
                with gr.Row():
                    plot1 = gr.Image(label="Metrics by question type", type="filepath")
                    plot2 = gr.Image(label="Latency", type="filepath")
                per_q = gr.Dataframe(headers=["id", "result", "question", "outcome", "answer", "citation recall", "hits@4"],
                                     label="Per question (✓ right: expected keywords in the answer, or an unanswerable question refused)",
                                     interactive=False, wrap=True, max_height=400, elem_id="eval-questions",
                                     column_widths=["5%", "9%", "28%", "9%", "33%", "8%", "8%"])
                eval_btn.click(app.run_eval, [gold, gold_up], [metrics, plot1, plot2, per_q], api_name="ui_eval", api_visibility="private",
                               show_progress_on=[metrics])  # one progress bar, not one per output
        demo.load(app.page_load, None, [backend, ask_outlets, brief_outlets, stats, table, saved], api_name=False)
        gr.api(app.api_ask, api_name="ask")
        gr.api(app.api_brief, api_name="brief")
        gr.api(app.api_since_last, api_name="since_last")
        gr.api(app.api_ingest, api_name="ingest")
        gr.api(app.api_ingest_addresses, api_name="ingest_addresses")
        gr.api(app.api_eval, api_name="eval")
        gr.api(app.api_articles, api_name="articles")
    return demo
