"""Pure calendar logic: iCalendar feeds and invitations (and, later, working days)."""
