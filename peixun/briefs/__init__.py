"""Briefs (简报): numbered issues a space publishes, drafted from its own activity."""
