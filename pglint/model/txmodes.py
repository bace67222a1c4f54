"""How a transaction block came to be open (constants only: the layout detector uses them
without importing the transaction model)."""

EXPLICIT = "explicit"  # BEGIN / START TRANSACTION in the file
ASSUMED = "assumed"  # the migration tool wraps the file (or section) in BEGIN ... COMMIT
# The migration tool sends the whole file to PostgreSQL as one query string (simple query
# protocol). PostgreSQL runs a string of several statements as one implicit transaction
# block: a failure rolls the whole string back, a statement that cannot run in a
# transaction block fails there, an explicit BEGIN turns the block into an ordinary one
# (taking in the statements before it) and after a COMMIT the rest of the string runs in a
# new implicit block. A string of one statement runs outside any block.
ONE_QUERY = "one-query"
