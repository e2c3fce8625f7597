"""English dates as the pages always printed them ("30 Nov 2026, 14:05"), through named formats
so that templates write `date:"DATETIME_FORMAT"` and each language gets its own order."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M"
SHORT_DATETIME_FORMAT = "j M, H:i"
