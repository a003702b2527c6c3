"""Calendar feeds: their secret tokens, the dirty marks that make them rebuild, issuing a new
address.
"""
