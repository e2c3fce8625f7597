"""The playground page, its no-JavaScript run, and snippets (save, open, share, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from core.refusals import refusal_as_message
from courses.markdown import render_markdown
from playground import metering, services
from playground.forms import RunForm, SnippetForm
from playground.models import Snippet
from sandbox import run_program

# The no-JavaScript run's status line; playground.js has the same labels for streamed runs.
VERDICT_LABELS = {
    "passed": pgettext_lazy("a program's run verdict", "passed"),
    "error": pgettext_lazy("a program's run verdict", "error"),
    "timeout": pgettext_lazy("a program's run verdict", "timeout"),
    "memory_limit": pgettext_lazy("a program's run verdict", "memory limit"),
    "output_limit": pgettext_lazy("a program's run verdict", "output limit"),
}


@login_required
@require_http_methods(["GET", "POST"])
def playground(request: AuthenticatedRequest) -> HttpResponse:
    assignment = None
    if "assignment" in request.GET:
        assignment = services.assignment_for(
            user=request.user, assignment_id=request.GET["assignment"]
        )
        if assignment is None:
            raise Http404("No such assignment.")
    snippet = None
    if "snippet" in request.GET:
        try:
            snippet_id = int(request.GET["snippet"])
        except ValueError as error:
            raise Http404("No such snippet.") from error
        snippet = services.snippet_for_viewer(user=request.user, snippet_id=snippet_id)
        if snippet is None:
            raise Http404("No such snippet.")
    result = None
    if request.method == "POST":
        form = RunForm(request.POST)
        if form.is_valid():
            try:
                slot = metering.run_admit(user=request.user)
            except services.PlaygroundError as refused:
                form.add_error(None, str(refused))
            else:
                try:
                    result = run_program(
                        code=form.cleaned_data["code"],
                        stdin=form.cleaned_data["stdin"],
                        limits=services.playground_limits(),
                    )
                finally:
                    metering.run_release(slot=slot)
    else:
        code = (
            snippet.code
            if snippet
            else assignment.starter_code
            if assignment
            else 'name = input("What is your name? ")\nprint(f"Hello, {name}!")\n'
        )
        form = RunForm(initial={"code": code})
    own = snippet if snippet and snippet.owner_id == request.user.pk else None
    context = {
        "form": form,
        "result": result,
        "verdict_label": VERDICT_LABELS.get(result.verdict, result.verdict) if result else "",
        "assignment": assignment,
        "instructions": render_markdown(assignment.instructions) if assignment else "",
        "snippet": snippet,
        "snippet_form": SnippetForm(
            user=request.user,
            initial={
                "title": own.title if own else "",
                "shared_with": own.shared_with_id if own else None,
            },
        ),
        "own_snippet": own,
        "snippets": Snippet.objects.filter(owner=request.user)[:50],
    }
    return render(request, "playground/playground.html", context)


@login_required
@require_POST
def snippet_save(request: HttpRequest) -> HttpResponse:
    snippet = None
    if request.POST.get("snippet"):
        snippet = get_object_or_404(Snippet, pk=request.POST["snippet"], owner=request.user)
    form = SnippetForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("playground:index")
    with refusal_as_message(request) as refused:
        snippet = services.snippet_save(owner=request.user, snippet=snippet, **form.cleaned_data)
    if refused:
        return redirect("playground:index")
    messages.success(request, _("Saved “%(title)s”.") % {"title": snippet.title})
    return redirect(f"{reverse('playground:index')}?snippet={snippet.pk}")


@login_required
@require_GET
def snippet_detail(request: HttpRequest, snippet_id: int) -> HttpResponse:
    snippet = services.snippet_for_viewer(user=request.user, snippet_id=snippet_id)
    if snippet is None:
        raise Http404("No such snippet.")
    return render(request, "playground/snippet_detail.html", {"snippet": snippet})


@login_required
@require_POST
def snippet_delete(request: HttpRequest, snippet_id: int) -> HttpResponse:
    snippet = get_object_or_404(Snippet, pk=snippet_id, owner=request.user)
    snippet.delete()
    messages.success(request, _("Deleted “%(title)s”.") % {"title": snippet.title})
    return redirect("playground:index")
