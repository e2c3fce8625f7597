from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify

from courses.markdown import markdown_errors
from courses.models import Announcement, Course, Lesson, Module

# Addresses the URLconf already uses next to course and lesson slugs.
RESERVED_SLUGS = {"new"}


def _clean_markdown(text: str) -> str:
    errors = markdown_errors(text)
    if errors:
        raise forms.ValidationError(errors)
    return text


def _check_reserved(form: forms.ModelForm, slug: str) -> None:
    if slug in RESERVED_SLUGS:
        form.add_error("slug", f"“{slug}” is reserved; choose another address.")


class CourseForm(forms.ModelForm):
    slug = forms.SlugField(
        required=False,
        max_length=80,
        help_text="Part of the address. Leave empty to derive it from the title.",
    )

    class Meta:
        model = Course
        fields = ("title", "slug", "summary", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("slug") and data.get("title"):
            data["slug"] = slugify(data["title"])[:80]
            clash = Course.objects.filter(slug=data["slug"]).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("slug", "Another course already uses this address; choose one.")
        _check_reserved(self, data.get("slug") or "")
        return data

    def clean_description(self) -> str:
        return _clean_markdown(self.cleaned_data["description"])


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ("title", "summary")


class LessonForm(forms.ModelForm):
    slug = forms.SlugField(
        required=False,
        max_length=80,
        help_text="Part of the address. Leave empty to derive it from the title.",
    )

    class Meta:
        model = Lesson
        fields = ("module", "title", "slug", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "markdown-source"})}

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["module"].queryset = course.modules.all()
        self.fields["module"].empty_label = None

    def clean_body(self) -> str:
        return _clean_markdown(self.cleaned_data["body"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        slug = data.get("slug") or slugify(data.get("title") or "")[:80]
        data["slug"] = slug
        if (
            slug
            and Lesson.objects.filter(course=self.course, slug=slug)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("slug", "Another lesson of this course already uses this address.")
        _check_reserved(self, slug)
        return data


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ("title", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class MarkdownPreviewForm(forms.Form):
    body = forms.CharField(required=False)
