"""The OIDC login in a real Chromium: inside an LMS iframe whose cookies are blocked, and at
the top level. The LMS page (127.0.0.1) frames the tool under another site (localhost), so the
tool's cookies there are third-party and Chromium refuses them."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID
from tests.platform.conftest import BROWSER_MARKS, page  # noqa: F401 - the page fixture

pytestmark = BROWSER_MARKS


def login_url(tool: str, lms) -> str:
    return f"{tool}/lti/login/?" + urlencode(
        {
            "iss": lms.issuer,
            "login_hint": "s-1",
            "target_link_uri": f"{tool}/lti/launch/",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
        }
    )


@pytest.fixture
def browser_lms(transactional_db, lms):
    return lms


def test_in_a_frame_with_blocked_cookies_the_login_opens_a_new_window(
    page,  # noqa: F811
    asgi_server,
    browser_lms,
):
    tool = asgi_server.replace("127.0.0.1", "localhost")
    page.goto(f"{browser_lms.issuer}/frame?" + urlencode({"src": login_url(tool, browser_lms)}))
    frame = page.frame_locator("iframe")
    link = frame.locator("#lti-new-window")
    expect(link).to_be_visible()  # the page was allowed in the LMS frame (frame-ancestors)
    expect(frame.locator("#lti-login-wait")).to_be_hidden()
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    # First-party in its own window: the state cookie sticks and the login goes on to the LMS.
    popup.wait_for_url(f"{browser_lms.issuer}/auth?**")
    assert "state=state-" in popup.url


def test_at_the_top_level_the_login_goes_straight_on_to_the_platform(
    page,  # noqa: F811
    asgi_server,
    browser_lms,
):
    page.goto(login_url(asgi_server, browser_lms))
    page.wait_for_url(f"{browser_lms.issuer}/auth?**")
    assert "nonce=" in page.url
