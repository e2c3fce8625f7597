"""The instruments' inputs: lengths and ranges checked before the model is asked anything."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_TEXT_CHARS = 600  # the model instruments; the token limit (LAB_MAX_TOKENS) is checked later
MAX_TOKENIZER_CHARS = 1000
MAX_WORDS = 20
MAX_WORD_CHARS = 60
EXERCISE_SALT = "lab.exercise"


class TokenizerForm(forms.Form):
    text = forms.CharField(max_length=MAX_TOKENIZER_CHARS, strip=False, widget=forms.Textarea)
    compare = forms.CharField(
        max_length=MAX_TOKENIZER_CHARS,
        required=False,
        strip=False,
        widget=forms.Textarea,
        label=gettext_lazy("Compare with (e.g. the same sentence in Chinese)"),
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Type some text first."))
        return text


class PromptForm(forms.Form):
    prompt = forms.CharField(max_length=MAX_TEXT_CHARS, strip=False, widget=forms.Textarea)

    def clean_prompt(self) -> str:
        prompt: str = self.cleaned_data["prompt"]
        if not prompt.strip():
            raise forms.ValidationError(_("Type a prompt first."))
        return prompt


class SampleForm(PromptForm):
    temperature = forms.FloatField(min_value=0.0, max_value=2.0, initial=1.0)
    top_k = forms.IntegerField(min_value=0, max_value=50, initial=50, label=gettext_lazy("Top-k"))
    top_p = forms.FloatField(
        min_value=0.05, max_value=1.0, initial=1.0, label=gettext_lazy("Top-p")
    )


class AttentionForm(forms.Form):
    text = forms.CharField(max_length=MAX_TEXT_CHARS, strip=False, widget=forms.Textarea)
    layer = forms.TypedChoiceField(coerce=int, choices=())
    head = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, choices=())

    def __init__(self, *args: Any, layers: int, heads: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        layer, head = self.fields["layer"], self.fields["head"]
        assert isinstance(layer, forms.ChoiceField) and isinstance(head, forms.ChoiceField)
        layer.choices = [(i, _("Layer %(number)s") % {"number": i}) for i in range(layers)]
        head.choices = [("", _("Average of all heads"))] + [
            (i, _("Head %(number)s") % {"number": i}) for i in range(heads)
        ]

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Type a sentence first."))
        return text


class EmbeddingsForm(forms.Form):
    course = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, choices=())
    words = forms.CharField(
        required=False,
        max_length=MAX_WORDS * (MAX_WORD_CHARS + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    query = forms.CharField(
        required=False, max_length=300, help_text=gettext_lazy("Its nearest neighbours are listed.")
    )

    def __init__(self, *args: Any, courses: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["course"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No course passages"))] + [(c.pk, c.title) for c in courses]
        field.label = _("Passages of")
        # Here, not on the field: a lazy string formatted at import would be English for good.
        self.fields["words"].help_text = _(
            "Up to %(count)s words or phrases, separated by commas or new lines."
        ) % {"count": MAX_WORDS}

    def clean_words(self) -> list[str]:
        raw: str = self.cleaned_data["words"]
        words = [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]
        if len(words) > MAX_WORDS:
            raise forms.ValidationError(
                _("At most %(count)s words, please.") % {"count": MAX_WORDS}
            )
        if any(len(word) > MAX_WORD_CHARS for word in words):
            raise forms.ValidationError(
                _("Each word or phrase: at most %(count)s characters.") % {"count": MAX_WORD_CHARS}
            )
        return list(dict.fromkeys(words))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not (data.get("course") or data.get("words") or data.get("query")):
            raise forms.ValidationError(_("Type some words or choose a course."))
        return data


def exercise_sign(exercise: dict[str, str]) -> str:
    """The exercise a lesson sets, signed: the student's browser carries it back unchanged."""
    return signing.dumps(exercise, salt=EXERCISE_SALT, compress=True)


class ExerciseForm(PromptForm):
    exercise = forms.CharField(widget=forms.HiddenInput, max_length=2000)

    def clean_exercise(self) -> dict[str, str]:
        try:
            exercise = signing.loads(self.cleaned_data["exercise"], salt=EXERCISE_SALT)
        except signing.BadSignature as exc:
            raise forms.ValidationError(_("This exercise is not valid.")) from exc
        if not isinstance(exercise, dict):
            raise forms.ValidationError(_("This exercise is not valid."))
        return {str(k): str(v) for k, v in exercise.items()}
