"""The data model, one module per aggregate. Importing this package registers every table."""
from academy.models.audit import AuditEvent
from academy.models.user import ROLES, Role, TokenPurpose, User, UserToken

__all__ = ["AuditEvent", "ROLES", "Role", "TokenPurpose", "User", "UserToken"]
