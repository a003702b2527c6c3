"""The escalation ladder: where a task stands on its district's policy, the planner that writes its
emails, and the emails' words.
"""
