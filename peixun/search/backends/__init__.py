"""Search backends behind one interface: Whoosh (files under instance/) and PostgreSQL."""
