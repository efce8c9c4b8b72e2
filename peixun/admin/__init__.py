"""Site administration pages; calls other domains' services, owns no tables."""
