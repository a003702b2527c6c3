"""Tasks with a responsible agency and a due moment: statutory rules, deadlines, lists, digests and
the escalation ladder.
"""
