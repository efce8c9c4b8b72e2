"""Spaces: regions, schools, workshops, study groups, personal spaces and who is in them."""
