"""The data model, one module per aggregate. Importing this package registers every table."""
from academy.models.admin import (Group, GroupMembership, Reminder, RequirementAssignment, RequirementCourse,
                                  RequirementSet)
from academy.models.audit import AuditEvent
from academy.models.authoring import CourseTrainer, Draft
from academy.models.certificate import Certificate, ReissueRequest
from academy.models.course import (Course, CourseVersion, Media, Module, Program, ProgramCourse, Question,
                                   RenderedText)
from academy.models.learning import (Attempt, AttemptGrant, Completion, Enrollment, Evaluation,
                                     ModuleProgress)
from academy.models.twofactor import RecoveryCode, TotpCredential
from academy.models.user import ROLES, Role, TokenPurpose, User, UserToken

__all__ = ["CourseTrainer", "Draft", "Group", "GroupMembership", "Reminder", "RequirementAssignment", "RequirementCourse",
           "RequirementSet", "Attempt", "AttemptGrant", "AuditEvent", "Certificate", "ReissueRequest", "Completion", "Enrollment", "Evaluation",
           "ModuleProgress", "Course", "CourseVersion", "Media", "Module", "Program", "ProgramCourse",
           "Question", "RecoveryCode", "RenderedText", "ROLES", "Role", "TokenPurpose", "TotpCredential", "User", "UserToken"]
