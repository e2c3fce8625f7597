"""Lab instruments inside lessons: the ```lab <instrument>``` fence (see courses/markdown.py).

    ```lab next-token
    prompt: The capital of France is
    exercise: Find a prompt where "Paris" is more likely than "London".
    more_likely: Paris
    than: London
    ```

The body is `key: value` lines, the instrument's presets. The widget is a form preset with
them that asks the instrument's own page for its result fragment (htmx); without JavaScript the
same form opens that page, which works on its own. An exercise travels signed, so a student can
change the prompt but not the goal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from courses.markdown import DirectiveBlock
from lab.forms import exercise_sign


@dataclass(frozen=True)
class Instrument:
    slug: str
    title: str | Promise  # lazy: rendered in the language of the page that shows the lesson
    url_name: str
    presets: tuple[str, ...]  # the keys a lesson may preset


INSTRUMENTS = {
    instrument.slug: instrument
    for instrument in (
        Instrument("tokenizer", _("Tokenizer"), "lab:tokenizer", ("text", "compare")),
        Instrument("next-token", _("Next token"), "lab:next_token", ("prompt",)),
        Instrument("attention", _("Attention"), "lab:attention", ("text", "layer", "head")),
        Instrument("embeddings", _("Embeddings"), "lab:embeddings", ("words", "query")),
        Instrument("speed", _("Speed and memory"), "lab:speed", ()),
    )
}
EXERCISE_KEYS = ("exercise", "more_likely", "than")


def directive_options(body: str) -> dict[str, str]:
    """`key: value` lines; later keys win, other lines are ignored."""
    options: dict[str, str] = {}
    for line in body.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            options[key.strip().lower()] = value.strip()
    return options


def directive_render(block: DirectiveBlock) -> str:
    instrument = INSTRUMENTS.get(block.argument)
    if instrument is None:
        return render_to_string(
            "lab/_embed_unknown.html",
            {"name": block.argument, "known": sorted(INSTRUMENTS)},
        )
    options = directive_options(block.body)
    presets = {key: options[key] for key in instrument.presets if key in options}
    exercise = None
    if instrument.slug == "next-token" and all(options.get(key) for key in EXERCISE_KEYS):
        exercise = {key: options[key] for key in EXERCISE_KEYS}
    return render_to_string(
        "lab/_embed.html",
        {
            "instrument": instrument,
            "url": reverse(instrument.url_name),
            "presets": presets,
            "exercise": exercise,
            "exercise_signed": exercise_sign(exercise) if exercise else "",
            "first": block.index == 0,
            "index": block.index,
        },
    )
