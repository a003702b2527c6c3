"""Background work: the Dramatiq broker, the actors, the mail edge and the scheduler tick."""
