"""The data model, one module per aggregate. Importing this package registers every table."""
from academy.models.audit import AuditEvent
from academy.models.course import Course, CourseVersion, Media, Module, Program, ProgramCourse, Question
from academy.models.user import ROLES, Role, TokenPurpose, User, UserToken

__all__ = ["AuditEvent", "Course", "CourseVersion", "Media", "Module", "Program", "ProgramCourse",
           "Question", "ROLES", "Role", "TokenPurpose", "User", "UserToken"]
