"""Helpers every app may use and that know no app: domain errors, spreadsheet-safe CSV."""
