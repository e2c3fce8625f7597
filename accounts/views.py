from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import SignUpForm
from accounts.http import AuthenticatedRequest


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome, %(name)s! Pick a course from the catalog.") % {"name": user.display_name},
        )
        return redirect("courses:catalog")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def api_token(request: AuthenticatedRequest) -> HttpResponse:
    token = services.api_token_get(user=request.user)
    return render(request, "accounts/api_token.html", {"token": token})


@login_required
@require_POST
def api_token_regenerate(request: AuthenticatedRequest) -> HttpResponse:
    services.api_token_regenerate(user=request.user)
    messages.success(request, _("A new API token was created. The previous one no longer works."))
    return redirect("accounts:api_token")


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedRequest) -> HttpResponse:
    services.api_token_revoke(user=request.user)
    messages.success(request, _("Your API token was revoked."))
    return redirect("accounts:api_token")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, redirect to `next`), and the choice kept on the profile so
    the user's next sign-in, on any device, is in that language."""
    response = i18n.set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=chosen.value)
    return response


@login_required
@require_http_methods(["GET"])
def account_settings(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "accounts/settings.html", {"languages": settings.LANGUAGES})
