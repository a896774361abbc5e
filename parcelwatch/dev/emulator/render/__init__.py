"""Pure rendering of journeys and errors in each carrier's own JSON."""
