"""Forms for teachers (assignments, reviews) and students (submissions, regrade requests).

Weights, hidden tests and the rubric are edited as short text lines in the browser and as JSON in
the API; both end in the same checks (grading.checks), which run the reference solution.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from courses.markdown import markdown_errors
from courses.models import Course
from grading.checks import (
    LIMIT_RANGES,
    code_assignment_check,
    concepts_problem,
    text_assignment_problems,
)
from grading.models import Assignment, Kind


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _rubric_lines(rubric: list[dict[str, Any]]) -> list[str]:
    lines = []
    for item in rubric:
        lines.append(f"{item['points']:g} | {item['criterion']}")
        lines.extend(f"+ {fact}" for fact in item.get("facts", []))
        lines.extend(f"- {wrong}" for wrong in item.get("wrong", []))
    return lines


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


class AssignmentForm(forms.ModelForm):
    concepts_text = forms.CharField(
        label=_("Concepts"),
        required=False,
        help_text=_("Comma-separated, e.g. loops, functions."),
    )
    weights_text = forms.CharField(
        label=_("Test weights"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text=_("One per line: test name = weight. Tests not listed weigh 1."),
    )
    hidden_text = forms.CharField(
        label=_("Hidden tests"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text=_("One test name per line. Students see only whether a hidden test passed."),
    )
    test_concepts_text = forms.CharField(
        label=_("Concepts per test"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text=_(
            "Optional, one per line: test name = concept, concept. A test not listed "
            "counts for all of the assignment's concepts in students' learning paths."
        ),
    )
    rubric_text = forms.CharField(
        label=_("Rubric"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One criterion per line: points | what the answer must say. Under a criterion, "
            "optionally: “+ a fact that must hold” and “- a common wrong claim”, one per line. "
            "A criterion without facts is checked against facts drafted from the reference answer."
        ),
    )
    cpu_seconds = forms.FloatField(label=_("CPU seconds"), required=False, min_value=0.1)
    wall_seconds = forms.FloatField(label=_("Wall seconds"), required=False, min_value=0.5)
    memory_mb = forms.IntegerField(label=_("Memory (MB)"), required=False, min_value=32)
    output_kb = forms.IntegerField(label=_("Output (KB)"), required=False, min_value=1)

    class Meta:
        model = Assignment
        fields = (
            "title",
            "kind",
            "lesson",
            "instructions",
            "due_at",
            "max_score",
            "max_attempts",
            "score_policy",
            "is_published",
            "starter_code",
            "module_name",
            "test_code",
            "reference_solution",
            "reference_answer",
        )
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 8}),
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "starter_code": forms.Textarea(attrs={"rows": 8, "data-code-editor": ""}),
            "test_code": forms.Textarea(attrs={"rows": 12, "data-code-editor": ""}),
            "reference_solution": forms.Textarea(attrs={"rows": 8, "data-code-editor": ""}),
            "reference_answer": forms.Textarea(attrs={"rows": 4}),
        }
        # The model's fields have no verbose_name (one would be a migration): the form names them.
        labels = {
            "title": _("Title"),
            "kind": _("Kind"),
            "lesson": _("Lesson"),
            "instructions": _("Instructions"),
            "due_at": _("Due at"),
            "max_score": _("Max score"),
            "max_attempts": _("Max attempts"),
            "score_policy": _("Score policy"),
            "is_published": _("Visible to students"),
            "starter_code": _("Starter code"),
            "module_name": _("Module name"),
            "test_code": _("Tests"),
            "reference_solution": _("Reference solution"),
            "reference_answer": _("Reference answer"),
        }
        help_texts = {
            "starter_code": _("What the student's editor starts with."),
            "module_name": _("The student's code is saved as this module: tests import from it."),
            "test_code": _(
                "unittest TestCase classes, or pytest-style test_ functions with assert "
                "(no fixtures). Example: from solution import add"
            ),
            "reference_solution": _("Optional, never shown to students. It must pass every test."),
            "reference_answer": _("A model answer: the grader compares answers with it."),
        }

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        choice_field(self, "lesson").queryset = course.lessons.order_by(
            "module__position", "position"
        )
        self.fields["lesson"].required = False
        # The model field has no minimum; a field's min_value set after __init__ is not enforced
        # (validators and widget attributes are made in __init__), so both are added here.
        max_score = self.fields["max_score"]
        max_score.validators.append(MinValueValidator(Decimal("0.5")))
        max_score.widget.attrs["min"] = "0.5"
        instance = self.instance
        if instance.pk:
            self.initial.update(
                concepts_text=", ".join(instance.concepts),
                weights_text="\n".join(f"{k} = {v:g}" for k, v in instance.weights.items()),
                hidden_text="\n".join(instance.hidden_tests),
                test_concepts_text="\n".join(
                    f"{name} = {', '.join(tags)}" for name, tags in instance.test_concepts.items()
                ),
                rubric_text="\n".join(_rubric_lines(instance.rubric)),
                **{name: instance.limits.get(name) for name in LIMIT_RANGES},
            )
        self.test_names: list[str] = instance.test_names if instance.pk else []

    def clean_instructions(self) -> str:
        text = self.cleaned_data["instructions"]
        if errors := markdown_errors(text):
            raise forms.ValidationError(errors)
        return text

    def clean_concepts_text(self) -> list[str]:
        raw = self.cleaned_data["concepts_text"]
        concepts = [c.strip().lower() for c in raw.split(",") if c.strip()]
        if problem := concepts_problem(self.course, concepts):
            raise forms.ValidationError(problem)
        return concepts

    def clean_test_concepts_text(self) -> dict[str, list[str]]:
        tags: dict[str, list[str]] = {}
        for line in _lines(self.cleaned_data["test_concepts_text"]):
            name, _sep, value = line.partition("=")
            concepts = [c.strip().lower() for c in value.split(",") if c.strip()]
            if not name.strip() or not concepts:
                raise forms.ValidationError(
                    _("“%(line)s” is not “test name = concept, concept”.") % {"line": line}
                )
            tags[name.strip()] = concepts
        return tags

    def clean_weights_text(self) -> dict[str, float]:
        weights: dict[str, float] = {}
        for line in _lines(self.cleaned_data["weights_text"]):
            name, _sep, value = line.partition("=")
            weight = _number(value.strip())
            if not name.strip() or weight is None:
                raise forms.ValidationError(
                    _("“%(line)s” is not “test name = weight”.") % {"line": line}
                )
            weights[name.strip()] = weight
        return weights

    def clean_hidden_text(self) -> list[str]:
        return _lines(self.cleaned_data["hidden_text"])

    def clean_rubric_text(self) -> list[dict[str, Any]]:
        rubric: list[dict[str, Any]] = []
        for line in _lines(self.cleaned_data["rubric_text"]):
            if line[0] in "+-":
                if not rubric or not line[1:].strip():
                    raise forms.ValidationError(
                        _("“%(line)s”: a fact (+) or wrong claim (-) goes under its criterion.")
                        % {"line": line}
                    )
                key = "facts" if line[0] == "+" else "wrong"
                rubric[-1].setdefault(key, []).append(line[1:].strip())
                continue
            points, _bar, criterion = line.partition("|")
            value = _number(points.strip())
            if value is None or not criterion.strip():
                raise forms.ValidationError(
                    _("“%(line)s” is not “points | criterion”.") % {"line": line}
                )
            rubric.append({"criterion": criterion.strip(), "points": value})
        return rubric

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        data["limits"] = {
            name: data[name] for name in LIMIT_RANGES if data.get(name) not in (None, "")
        }
        if data.get("kind") == Kind.TEXT:
            problems = text_assignment_problems(
                reference_answer=data.get("reference_answer", ""), rubric=data.get("rubric_text")
            )
            for name, messages in problems.items():
                for message in messages:
                    self.add_error("rubric_text" if name == "rubric" else name, message)
            return data
        check = code_assignment_check(
            test_code=data.get("test_code", ""),
            module_name=data.get("module_name") or "solution",
            reference_solution=data.get("reference_solution", ""),
            starter_code=data.get("starter_code", ""),
            weights=data.get("weights_text", {}),
            hidden_tests=data.get("hidden_text", []),
            limits=data["limits"],
            concepts=data.get("concepts_text", []),
            test_concepts=data.get("test_concepts_text", {}),
        )
        field_of = {
            "weights": "weights_text",
            "hidden_tests": "hidden_text",
            "test_concepts": "test_concepts_text",
            "limits": None,
        }
        for name, problem in check.problems.items():
            self.add_error(field_of.get(name, name), problem)
        self.test_names = check.test_names
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as assignment_create/assignment_update take it."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields.update(
            concepts=data["concepts_text"],
            test_concepts=data["test_concepts_text"] if data["kind"] == Kind.CODE else {},
            weights=data["weights_text"],
            hidden_tests=data["hidden_text"],
            rubric=data["rubric_text"],
            limits=data["limits"],
            test_names=self.test_names if data["kind"] == Kind.CODE else [],
        )
        return fields


class SubmissionForm(forms.Form):
    code = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "data-code-editor": "", "spellcheck": "false"}),
    )
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        limit = settings.GRADING_MAX_SOURCE_KB * 1024
        for name in ("code", "text"):
            if len((data.get(name) or "").encode()) > limit:
                self.add_error(
                    name,
                    _("This is larger than %(kb)s KB.") % {"kb": settings.GRADING_MAX_SOURCE_KB},
                )
        return data


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("override", _("Override"))])
    score = forms.DecimalField(required=False, min_value=Decimal(0), decimal_places=2)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "override" and data.get("score") is None:
            self.add_error("score", _("Enter the score that should count."))
        if data.get("action") == "override" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why, for the student."))
        return data


class RegradeRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What do you think the grader got wrong?"),
    )


class GradingSettingsForm(forms.Form):
    release_qwk = forms.FloatField(
        label=_("Release scores without review from QWK"),
        min_value=0.0,
        max_value=1.0,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text=_(
            "Free-text scores stay proposals for the teacher until the grader's measured "
            "agreement with your grades of the assignment reaches this (1 = never release)."
        ),
    )
