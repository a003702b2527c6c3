"""Meetings: the tables, scheduling and changes, series and sittings, answers, invitations,
reminders, conflicts.
"""
