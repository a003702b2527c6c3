"""Cases, known outside their restricted part by their code: the restricted part, who knows a case
and how an agency joins one.
"""
