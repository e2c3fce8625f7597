from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from courses.models import Course
from playground import services


class RunForm(forms.Form):
    """The editor's form: Run posts it (without JavaScript the run happens on the server)."""

    code = forms.CharField(
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "data-code-editor": "", "spellcheck": "false"}),
    )
    stdin = forms.CharField(
        label=_("Input for the program"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Without JavaScript: everything input() will read, one line each."),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if problem := services.source_problem(code):
            raise forms.ValidationError(problem)
        return code


class SnippetForm(forms.Form):
    title = forms.CharField(max_length=120)
    code = forms.CharField(strip=False, widget=forms.HiddenInput)
    shared_with = forms.ModelChoiceField(
        queryset=Course.objects.none(),
        required=False,
        empty_label=_("Only me"),
        label=_("Share (read-only) with"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "shared_with").queryset = services.shareable_courses(user=user)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if problem := services.source_problem(code):
            raise forms.ValidationError(problem)
        return code
