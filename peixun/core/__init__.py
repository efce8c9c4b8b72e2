"""What two or more domains use; imports no domain."""
