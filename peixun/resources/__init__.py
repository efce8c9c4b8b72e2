"""Resources: teachers' files (课件, 教案, 微课), their text and their places in libraries."""
