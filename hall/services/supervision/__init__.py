"""Supervision of efficiency (效能监察): the live board, alerts, the watch and its rules,
reports with their day rollups and exports."""
