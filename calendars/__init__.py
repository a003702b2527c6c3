"""Pure calendar logic: iCalendar feeds and invitations, Kazakhstan working days."""
