"""core.i18n.language_from_scope: a websocket's language, decided as LocaleMiddleware decides a
page's (the user's choice, then the cookie, then Accept-Language, then the default)."""

from __future__ import annotations

from types import SimpleNamespace

from core.i18n import language_from_scope


def _scope(*, user=None, cookie: str = "", accept: str = "", cookies=None) -> dict:
    headers = []
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if accept:
        headers.append((b"accept-language", accept.encode()))
    scope = {"type": "websocket", "headers": headers}
    if user is not None:
        scope["user"] = user
    if cookies is not None:
        scope["cookies"] = cookies
    return scope


def test_without_any_hint_it_is_the_default_language():
    assert language_from_scope(_scope()) == "en"


def test_the_browser_language_is_used_when_the_site_has_it():
    assert language_from_scope(_scope(accept="zh-CN,zh;q=0.9,en;q=0.8")) == "zh-hans"
    assert language_from_scope(_scope(accept="zh-Hans")) == "zh-hans"
    assert language_from_scope(_scope(accept="fr-FR,en;q=0.5")) == "en"
    assert language_from_scope(_scope(accept="de,fr")) == "en"


def test_the_language_cookie_beats_the_browser_language():
    assert language_from_scope(_scope(cookie="django_language=zh-hans", accept="en")) == "zh-hans"
    assert language_from_scope(_scope(cookies={"django_language": "en"}, accept="zh-CN")) == "en"


def test_an_unknown_or_malformed_cookie_is_ignored():
    assert language_from_scope(_scope(cookie="django_language=xx", accept="zh-CN")) == "zh-hans"
    assert language_from_scope(_scope(cookie='bad"cookie; ===', accept="zh-CN")) == "zh-hans"


def test_a_signed_in_users_own_choice_comes_first():
    user = SimpleNamespace(is_authenticated=True, language="zh-hans")
    assert language_from_scope(_scope(user=user, cookie="django_language=en")) == "zh-hans"
    undecided = SimpleNamespace(is_authenticated=True, language="")
    assert language_from_scope(_scope(user=undecided, accept="zh-CN")) == "zh-hans"
    anonymous = SimpleNamespace(is_authenticated=False, language="zh-hans")
    assert language_from_scope(_scope(user=anonymous)) == "en"
