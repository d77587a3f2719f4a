"""Recording: the one writer. A reading and a decision in, one transaction out, whatever the source."""
