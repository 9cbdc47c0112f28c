"""Account services: registration, sign-in, email confirmation, passwords, roles."""
