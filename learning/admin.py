from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from learning import graph
from learning.models import Concept, Mastery, Observation, PracticeQuestion, ReviewCard
from learning.services import concepts as concept_services
from learning.services import practice


class ConceptAdminForm(forms.ModelForm):
    """Admin edits get the same cycle check as the teachers' page."""

    class Meta:
        model = Concept
        fields = (
            "course",
            "slug",
            "name",
            "description",
            "position",
            "prerequisites",
            "lessons",
            "prior",
            "learn",
            "guess",
            "slip",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns
        course = data.get("course") or getattr(self.instance, "course", None)
        slug = data.get("slug") or self.instance.slug
        if course is None or not slug:
            return data
        requires = concept_services.course_requires(course=course)
        requires[slug] = set()
        for prerequisite in data.get("prerequisites", []):
            if prerequisite.course_id != course.pk:
                raise forms.ValidationError("Prerequisites must belong to the same course.")
            if cycle := graph.cycle_if_added(requires, slug, prerequisite.slug):
                raise forms.ValidationError(
                    f"A cycle of prerequisites: {graph.describe_cycle(cycle)}."
                )
            requires[slug].add(prerequisite.slug)
        return data


class PracticeQuestionInline(admin.TabularInline):
    model = PracticeQuestion
    fields = ("kind", "prompt", "status")
    extra = 0
    show_change_link = True


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "course", "position")
    list_filter = ("course",)
    search_fields = ("name", "slug")
    filter_horizontal = ("prerequisites", "lessons")
    readonly_fields = ("fitted",)
    inlines = [PracticeQuestionInline]

    form = ConceptAdminForm


@admin.register(PracticeQuestion)
class PracticeQuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "concept", "kind", "status", "drafted_by_model")
    list_filter = ("status", "kind", "concept__course")
    search_fields = ("prompt",)
    actions = ["approve"]

    @admin.action(description="Approve the selected questions")
    def approve(self, request: HttpRequest, queryset: QuerySet[PracticeQuestion]) -> None:
        approved = 0
        for question in queryset.exclude(status="drafting"):
            if not practice.question_problems(
                kind=question.kind,
                prompt=question.prompt,
                choices=question.choices,
                answer_index=question.answer_index,
                accepted_answers=question.accepted_answers,
            ):
                practice.question_update(question=question, approve=True)
                approved += 1
        messages.success(request, f"{approved} questions approved; incomplete ones were skipped.")


@admin.register(Mastery)
class MasteryAdmin(admin.ModelAdmin):
    list_display = ("student", "concept", "p_known", "attempts", "correct", "mastered_at")
    list_filter = ("concept__course",)
    search_fields = ("student__username", "concept__slug")
    readonly_fields = [f.name for f in Mastery._meta.fields]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ("student", "concept", "correct", "source", "at", "mastery_after")
    list_filter = ("source", "concept__course")
    search_fields = ("student__username", "concept__slug")
    raw_id_fields = ("practice_answer", "submission")


@admin.register(ReviewCard)
class ReviewCardAdmin(admin.ModelAdmin):
    list_display = ("student", "concept", "due", "reviews", "last_review_at")
    list_filter = ("concept__course",)
