"""A case's life: opening it with its statutory tasks, its flags, closing it."""
