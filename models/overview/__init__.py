"""What a reader sees across meetings and tasks: the dashboards, the calendar view, the agency
feed, the outbox's state.
"""
