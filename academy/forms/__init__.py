"""WTForms forms. They check shape only: no database queries or password checks here."""
