"""Chinese full-text search over threads, replies, resources, briefs and lesson studies."""
