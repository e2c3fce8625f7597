"""Forms for teachers (concepts, questions, import, drafts) and students (practice answers)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from courses.models import Course, Lesson
from learning.models import Concept, PracticeQuestion, QuestionKind
from learning.services.practice import question_problems

MAX_IMPORT_BYTES = 1024 * 1024


class ConceptForm(forms.ModelForm):
    class Meta:
        model = Concept
        fields = (
            "name",
            "slug",
            "description",
            "prerequisites",
            "lessons",
            "prior",
            "learn",
            "guess",
            "slip",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "prerequisites": forms.CheckboxSelectMultiple,
            "lessons": forms.CheckboxSelectMultiple,
        }
        # Labels here, not as the model fields' verbose names: those would need a migration.
        labels = {
            "name": _("Name"),
            "slug": _("Slug"),
            "description": _("Description"),
            "prerequisites": _("Prerequisites"),
            "prior": _("Prior P(known)"),
            "learn": _("P(learn) per attempt"),
            "guess": _("P(guess)"),
            "slip": _("P(slip)"),
            "lessons": _("Lessons that teach it"),
        }
        help_texts = {
            "slug": _("Short identifier: lowercase letters, digits and hyphens."),
            "description": _("What a student who has mastered this concept can do."),
            "prerequisites": _("Concepts a student must master first. A cycle is refused."),
            "prior": _(
                "Knowledge tracing defaults, used until the class's answers are enough to fit them."
            ),
        }

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        others = Concept.objects.filter(course=course)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Fixed: assignments and exports refer to it.")
        choice_field(self, "prerequisites").queryset = others
        choice_field(self, "lessons").queryset = course.lessons.order_by(
            "module__position", "position"
        )

    def validate_unique(self) -> None:
        pass  # the service checks the slug per course, with a clearer message

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "slug": data["slug"],
            "name": data["name"],
            "description": data["description"],
            "prerequisites": list(data["prerequisites"]),
            "lessons": list(data["lessons"]),
            **{key: data[key] for key in ("prior", "learn", "guess", "slip")},
        }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Multiple choice: one option per line."),
    )
    right_choice = forms.IntegerField(
        label=_("Right choice"),
        required=False,
        min_value=1,
        help_text=_("Multiple choice: the number of the right option (1 = first line)."),
    )
    accepted_text = forms.CharField(
        label=_("Right answers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Short answer: one accepted answer per line. Case, spacing and surrounding "
            "quotes are ignored; numbers are compared as numbers."
        ),
    )

    class Meta:
        model = PracticeQuestion
        fields = ("kind", "prompt", "explanation")
        labels = {
            "kind": _("Kind"),
            "prompt": _("Prompt"),
            "explanation": _("Explanation"),
        }
        help_texts = {
            "prompt": _("Markdown."),
            "explanation": _("Shown after the student answers."),
        }
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 3}),
            "explanation": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = self.instance
        if question.pk:
            self.initial.update(
                choices_text="\n".join(question.choices),
                right_choice=None if question.answer_index is None else question.answer_index + 1,
                accepted_text="\n".join(question.accepted_answers),
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        right = data.get("right_choice")
        fields = {
            "kind": kind,
            "prompt": data.get("prompt", ""),
            "choices": _lines(data.get("choices_text", "")) if kind == QuestionKind.CHOICE else [],
            "answer_index": right - 1 if right and kind == QuestionKind.CHOICE else None,
            "accepted_answers": _lines(data.get("accepted_text", ""))
            if kind == QuestionKind.SHORT
            else [],
            "explanation": data.get("explanation", ""),
        }
        where = {
            "choices": "choices_text",
            "answer_index": "right_choice",
            "accepted_answers": "accepted_text",
        }
        for name, problem in question_problems(**fields).items():
            self.add_error(where.get(name, name), problem)
        self.question_fields = fields
        return data


class DraftForm(forms.Form):
    lesson = forms.ModelChoiceField(
        queryset=Lesson.objects.none(), empty_label=None, label=_("From the lesson")
    )
    kind = forms.ChoiceField(choices=QuestionKind.choices, label=_("Kind"))

    def __init__(self, *args: Any, concept: Concept, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lessons = concept.lessons.all()
        if not lessons.exists():
            lessons = concept.course.lessons.all()
        choice_field(self, "lesson").queryset = lessons.order_by("module__position", "position")


class ImportForm(forms.Form):
    file = forms.FileField(required=False, label=_("Concept file (.json)"))
    text = forms.CharField(
        required=False,
        label=_("…or paste the JSON"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        upload = data.get("file")
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(_("The file is larger than 1 MB."))
            raw: bytes | str = upload.read()
        else:
            text: str = data.get("text", "")
            if len(text.encode()) > MAX_IMPORT_BYTES:
                raise forms.ValidationError(_("The text is larger than 1 MB."))
            raw = text
        if not raw:
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        try:
            data["parsed"] = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise forms.ValidationError(
                _("This is not valid JSON (%(error)s).") % {"error": error}
            ) from error
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(max_length=2000, label=_("Your answer"))

    def __init__(self, *args: Any, question: PracticeQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if question.kind == QuestionKind.CHOICE:
            self.fields["answer"] = forms.ChoiceField(
                label=_("Choose one"),
                choices=[(str(i), choice) for i, choice in enumerate(question.choices)],
                widget=forms.RadioSelect,
            )
