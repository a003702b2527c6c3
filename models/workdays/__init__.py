"""A district's working-day calendar: its decree overrides and working hours (arithmetic in
:mod:`calendars.workdays`).
"""
