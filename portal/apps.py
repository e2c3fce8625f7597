from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The site layer: pages composed from several apps (home, dashboard, the lesson page).

    It sits above every feature app so that the apps below it never import one another just to
    fill a page; it has no models of its own.
    """

    name = "portal"
    verbose_name = _("Portal")
