"""An LMS for the tests, built on `lti1p3platform` (an independent LTI 1.3 platform library).

The platform's side of a launch (OIDC auth answer, signed id_token, deep-linking settings,
AGS/NRPS claims) is the library's. Its HTTP services (JWKS, OAuth2 token, AGS scores, NRPS
roster) run in a small WSGI server on a thread, so the tool reaches them over real HTTP with
PyLTI1p3, as it would reach Moodle or Canvas. The tool's pages are driven with Django's client.
"""

from __future__ import annotations

import html
import json
import threading
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)

CLIENT_ID = "llmasos-client"
DEPLOYMENT_ID = "deployment-1"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def rsa_pem_pair() -> tuple[str, str]:
    key = JWK.generate(kty="RSA", size=2048)
    return (
        key.export_to_pem(private_key=True, password=None).decode(),
        key.export_to_pem().decode(),
    )


class DictRequest(Request):
    def build_metadata(self, request: dict[str, t.Any]) -> t.Any:
        return {
            "method": request.get("method", "GET"),
            "form_data": request.get("form", {}),
            "get_data": request.get("get", {}),
            "headers": request.get("headers", {}),
            "content_type": request.get("content_type"),
            "path": request.get("path", "/"),
            "json": request.get("json"),
        }


class PlatformConfig(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.registration_obj: Registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        return self.registration_obj


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> t.Any:
        return launch_data  # the test posts it with Django's client


@dataclass
class Lms:
    base_url: str = ""
    private_key: str = ""
    public_key: str = ""
    scores: list[dict[str, t.Any]] = field(default_factory=list)
    members: list[dict[str, t.Any]] = field(default_factory=list)
    fail_scores: int = 0  # answer 500 to this many score posts first
    jwks_fetches: int = 0
    # Dynamic Registration (lti1p3platform has none, so these two endpoints are plain JSON).
    registrations: list[dict[str, t.Any]] = field(default_factory=list)
    config_issuer: str = ""  # what the OpenID configuration claims as issuer (default: ours)
    registration: Registration = field(default_factory=Registration)

    @property
    def issuer(self) -> str:
        return self.base_url

    def config(self) -> PlatformConfig:
        return PlatformConfig(registration=self.registration)

    # --- HTTP services ---------------------------------------------------------------------
    def wsgi(self, environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        if path == "/frame":
            # An LMS course page that shows the tool in an iframe (for the browser tests).
            src = html.escape(dict(parse_qsl(environ.get("QUERY_STRING", "")))["src"])
            start_response("200 OK", [("Content-Type", "text/html")])
            return [
                f'<!doctype html><iframe src="{src}" width="800" height="600"></iframe>'.encode()
            ]
        if path == "/.well-known/openid-configuration":
            return self.respond(start_response, "200 OK", self.openid_configuration())
        if path == "/register" and method == "POST":
            self.registrations.append({"token": headers["Authorization"], **json.loads(body)})
            answer = {
                "client_id": "dyn-client",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                    "deployment_id": "dyn-deployment"
                },
            }
            return self.respond(start_response, "200 OK", answer)
        content_type = environ.get("CONTENT_TYPE", "")
        request = DictRequest(
            {
                "method": method,
                "form": dict(parse_qsl(body.decode())) if "form" in content_type else {},
                "get": dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                "headers": headers,
                "content_type": content_type,
                "path": path,
                "json": json.loads(body) if body and "json" in content_type else None,
            }
        )
        status, payload = self.route(method, path, request)
        return self.respond(start_response, status, payload)

    def respond(self, start_response: t.Any, status: str, payload: t.Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]

    def openid_configuration(self) -> dict[str, t.Any]:
        return {
            "issuer": self.config_issuer or self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "registration_endpoint": f"{self.issuer}/register",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "test-lms"
            },
        }

    def route(self, method: str, path: str, request: DictRequest) -> tuple[str, t.Any]:
        config = self.config()
        config.get_registration()
        if path == "/jwks":
            self.jwks_fetches += 1
            return "200 OK", config.get_jwks()
        if path == "/token":
            return "200 OK", config.get_access_token(request.form_data)
        if path.startswith("/lineitems/") and path.endswith("/scores"):
            if self.fail_scores:
                self.fail_scores -= 1
                return "500 Internal Server Error", {"error": "down"}
            line_item = path.split("/")[2]
            service = Grades(request, config, f"{self.base_url}/lineitems")
            response = service.handle_resp(service.handle_update_score, line_item_id=line_item)
            return f"{response.code} X", {"message": response.message}
        if path == "/memberships":
            roster = Roster(request, config, f"{self.base_url}/memberships")
            roster.members = self.members
            response = roster.handle_resp(roster.handle_get_members)
            return f"{response.code} X", response.result
        return "404 Not Found", {}

    def score_received(self, line_item_id: str, score: dict[str, t.Any]) -> None:
        self.scores.append({"line_item": line_item_id, **score})


class Grades(AssignmentsGradesService):
    lms: Lms

    def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
        RUNNING.score_received(line_item_id, score)
        return UpdateScoreStatus.SUCCESS

    def find_lineitems(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        raise NotImplementedError

    def find_lineitem(self, line_item_id: str) -> t.Any:
        raise NotImplementedError

    def create_lineitem(self, creation_data: t.Any) -> t.Any:
        raise NotImplementedError

    def update_lineitem(self, update_data: t.Any) -> t.Any:
        raise NotImplementedError

    def delete_lineitem(self, line_item_id: str) -> None:
        raise NotImplementedError

    def get_results(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        raise NotImplementedError


class Roster(NamesRoleProvisioningService):
    members: list[dict[str, t.Any]]

    def get_member_data_page(self, **kwargs: t.Any) -> t.Any:
        return {"content": list(self.members), "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id="course-42", label="CS101", title="CS 101")


RUNNING: Lms = Lms()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:
        pass


def start(lms: Lms) -> t.Callable[[], None]:
    global RUNNING
    server = make_server("127.0.0.1", 0, lms.wsgi, handler_class=_Quiet)
    lms.base_url = f"http://127.0.0.1:{server.server_port}"
    RUNNING = lms
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, after every LTI test.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


def auth_params(auth_url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(auth_url).query))
