from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assist.models import AIMode


class PolicyForm(forms.Form):
    """One rule: the course's (no lesson, no assignment), a lesson's or an assignment's."""

    mode = forms.ChoiceField(choices=AIMode.choices, required=False)
    lesson = forms.IntegerField(required=False, min_value=1)
    assignment = forms.IntegerField(required=False, min_value=1)
    instructions = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        strip=True,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lesson") and data.get("assignment"):
            raise forms.ValidationError(_("Choose a lesson or an assignment, not both."))
        if not data.get("mode") and not data.get("lesson") and not data.get("assignment"):
            raise forms.ValidationError(_("Choose off, hints only or full help for the course."))
        return data


class ExamWindowForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    assignments: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None,  # set per course by the view
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Assignments"),
        help_text=_("None chosen: the whole course."),
    )

    def __init__(self, *args: Any, course: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignments"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = course.assignments.order_by("position", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            raise forms.ValidationError(_("An exam must end after it starts."))
        return data
