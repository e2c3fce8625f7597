"""Simplified Chinese dates as Chinese schools write them ("2026年11月30日 14:05")."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "n月j日"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
