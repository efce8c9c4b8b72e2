"""Accounts: users, sign-in and sign-out, registration, passwords, profiles."""
