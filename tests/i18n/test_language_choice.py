"""Choosing the interface language: the browser's Accept-Language first, then the switcher in
the header (a plain form to set_language: cookie, and for a signed-in user their profile), so
the next sign-in, on any device, is in the language they chose."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

SET_LANGUAGE = "/i18n/setlang/"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


def test_english_is_the_default(client, db):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Create a free account" in html
    assert response["Content-Language"] == "en"


def test_an_anonymous_visitor_gets_the_language_their_browser_asks_for(client, db):
    response = client.get(reverse("home"), **CHINESE)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "免费注册" in html and "Create a free account" not in html
    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in response["Vary"]


def test_an_unsupported_browser_language_falls_back_to_english(client, db):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Create a free account" in html


def test_the_switcher_is_a_form_that_works_without_javascript(client, db):
    html = client.get(reverse("courses:catalog")).content.decode()
    assert f'action="{SET_LANGUAGE}"' in html
    assert 'name="next" value="/courses/"' in html
    # One button per other language, named in that language.
    assert 'name="language" value="zh-hans" lang="zh-hans"' in html
    assert ">简体中文</button>" in html
    chinese = client.get(reverse("courses:catalog"), **CHINESE).content.decode()
    assert 'name="language" value="en" lang="en"' in chinese and ">English</button>" in chinese


def test_an_anonymous_switch_sets_the_cookie_and_returns_to_the_page(client, db):
    response = client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/courses/"})
    assert response.status_code == 302 and response["Location"] == "/courses/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    # The cookie beats the browser's English from now on.
    html = client.get("/courses/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>课程目录</h1>" in html


def test_a_signed_in_switch_is_kept_on_the_profile(client, student):
    client.force_login(student)
    response = client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    student.refresh_from_db()
    assert student.language == "zh-hans"
    assert '<h2 id="learning-heading">我的课程</h2>' in client.get("/dashboard/").content.decode()

    client.post(SET_LANGUAGE, {"language": "en", "next": "/dashboard/"})
    student.refresh_from_db()
    assert student.language == "en"
    assert "Your courses" in client.get("/dashboard/").content.decode()


def test_a_language_that_is_not_offered_changes_nothing(client, student):
    client.force_login(student)
    response = client.post(SET_LANGUAGE, {"language": "xx", "next": "/dashboard/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    student.refresh_from_db()
    assert student.language == ""


def test_set_language_refuses_get(client, db):
    assert client.get(SET_LANGUAGE, {"language": "zh-hans"}).status_code == 405


def test_the_next_sign_in_is_in_the_chosen_language_on_a_new_device(client, student):
    User.objects.filter(pk=student.pk).update(language="zh-hans")
    # A new browser: no cookie, and it asks for English.
    response = client.post(
        reverse("accounts:login"),
        {"username": student.username, "password": PASSWORD, "next": "/dashboard/"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "你好，Alice" in html
    # The cookie follows the profile, so the pages stay Chinese after signing out too.
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    client.post(reverse("accounts:logout"))
    assert "免费注册" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_profile_language_beats_the_browser_and_the_cookie(client, student):
    User.objects.filter(pk=student.pk).update(language="zh-hans")
    client.force_login(student)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "我的课程" in html


def test_the_settings_page_shows_the_choice(client, student):
    url = reverse("accounts:settings")
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(student)
    html = client.get(url).content.decode()
    assert "You have not chosen one yet" in html
    assert f'action="{SET_LANGUAGE}"' in html and f'name="next" value="{url}"' in html
    client.post(SET_LANGUAGE, {"language": "zh-hans", "next": url})
    html = client.get(url).content.decode()
    assert "<h1>个人设置</h1>" in html
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in html
    assert "你还没有选择" not in html


def test_the_settings_page_refuses_post(client, student):
    client.force_login(student)
    assert client.post(reverse("accounts:settings")).status_code == 405


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Settings"), ("zh-hans", "设置")], ids=["en", "zh"]
)
def test_the_account_menu_links_the_settings_page(client, student, language, expected):
    User.objects.filter(pk=student.pk).update(language=language)
    client.force_login(student)
    html = client.get("/dashboard/").content.decode()
    assert f'<a href="{reverse("accounts:settings")}">{expected}</a>' in html
