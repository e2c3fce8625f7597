from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from courses.markdown import directive_help, markdown_errors
from courses.models import Announcement, Course, Lesson, Module
from courses.slugs import course_slug_problem, lesson_slug_problem, slug_or_from_title


def _clean_markdown(text: str) -> str:
    errors = markdown_errors(text)
    if errors:
        raise forms.ValidationError(errors)
    return text


class CourseForm(forms.ModelForm):
    slug = forms.SlugField(
        required=False,
        max_length=80,
        label=_("Address"),
        help_text=_("Part of the address. Leave empty to derive it from the title."),
    )

    class Meta:
        model = Course
        fields = ("title", "slug", "summary", "description", "language", "tutor_strict")
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}
        # Labels and help here, not on the model: the words change with the language, the
        # schema does not (no migration for a label).
        labels = {
            "title": _("Title"),
            "summary": _("Summary"),
            "description": _("Description"),
            "tutor_strict": _("Strict tutor"),
        }
        help_texts = {
            "summary": _("One sentence shown in the catalog."),
            "description": _("Markdown."),
            "tutor_strict": _(
                "Withhold every sentence of the tutor's explanations that the course material "
                "does not support (otherwise such sentences are shown, marked)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form (or a client) that does not send the language keeps the course's, or English.
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language or "en"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["slug"] = slug_or_from_title(data.get("slug"), data.get("title"))
        # The model's own unique check already covers a typed-in slug; this one covers the
        # derived slug and the reserved words.
        problem = data["slug"] and course_slug_problem(data["slug"], course_id=self.instance.pk)
        if problem and "slug" not in self.errors:
            self.add_error("slug", problem)
        return data

    def clean_description(self) -> str:
        return _clean_markdown(self.cleaned_data["description"])


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ("title", "summary")
        labels = {"title": _("Title"), "summary": _("Summary")}


class LessonForm(forms.ModelForm):
    slug = forms.SlugField(
        required=False,
        max_length=80,
        label=_("Address"),
        help_text=_("Part of the address. Leave empty to derive it from the title."),
    )

    class Meta:
        model = Lesson
        fields = ("module", "title", "slug", "body")
        labels = {"module": _("Module"), "title": _("Title"), "body": _("Lesson text")}
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "markdown-source"})}

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        choice_field(self, "module").queryset = course.modules.all()
        choice_field(self, "module").empty_label = None
        # Widgets other apps add to lessons (the lab's instruments) say how to embed them.
        # (str(): a widget's help may be a lazy translation, rendered in the page's language.)
        self.fields["body"].help_text = " ".join(
            str(text) for text in [gettext("Markdown."), *directive_help()]
        )

    def clean_body(self) -> str:
        return _clean_markdown(self.cleaned_data["body"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["slug"] = slug_or_from_title(data.get("slug"), data.get("title"))
        problem = data["slug"] and lesson_slug_problem(
            data["slug"], course=self.course, lesson_id=self.instance.pk
        )
        if problem:
            self.add_error("slug", problem)
        return data


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ("title", "body")
        labels = {"title": _("Title"), "body": _("Message")}
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class MarkdownPreviewForm(forms.Form):
    body = forms.CharField(required=False)
