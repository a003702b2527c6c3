"""The district's agencies and the people who sign in: accounts, roles and access predicates,
passwords, sessions, throttling, imports.
"""
