"""Talking to the LMS's services as the tool (no user present): AGS scores, NRPS rosters.

PyLTI1p3's service classes do the OAuth2 client-credentials exchange (a JWT signed with the
tool's key) and the HTTP; these functions pick what to send and record how it went.
"""

from __future__ import annotations

from typing import Any

from lti_tool.models import LtiRegistration
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from lti.tool_config import lms_session

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def connector(registration: LtiRegistration) -> ServiceConnector:
    return ServiceConnector(registration.to_registration(), requests_session=lms_session())


def ags(*, registration: LtiRegistration, lineitem_url: str, scopes: list[str]) -> Any:
    data: Any = {"scope": scopes or [SCORE_SCOPE], "lineitem": lineitem_url}
    return AssignmentsGradesService(connector(registration), data)


def nrps(*, registration: LtiRegistration, memberships_url: str) -> Any:
    data: Any = {"context_memberships_url": memberships_url, "service_versions": ["2.0"]}
    return NamesRolesProvisioningService(connector(registration), data)
