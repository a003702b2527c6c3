"""What every feature stands on: column types and the clock, the database and settings, text rules,
the audit trail, translations, the domain error and the change marks.
"""
